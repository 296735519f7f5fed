/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Whether an Authorization header grants access: HTTP Basic (RFC 7617)
 * against one configured user and password, or against an htpasswd-style
 * file of bcrypt and SHA-512-crypt hashes read once. Knows neither
 * GStreamer nor libsoup, and logs nothing: the caller logs the peer's
 * address, never what it sent.
 *
 * Threads: _check() runs on the server thread and never hashes; a hash takes
 * milliseconds and would stall every other client there, so it answers
 * NEEDS_HASH and the caller runs _verify() on a worker thread. Any number of
 * _verify() calls run at once: crypt_rn() gets a struct crypt_data of its
 * own each call. The users table and the configured digests are read-only
 * after _new_*(); the cache of grants is under @lock.
 *
 * Secrets: the configured password is kept only as a keyed digest, the
 * cache holds keyed digests of granted credentials, and what a request sent
 * is decoded into a buffer on the stack that is wiped before returning.
 * Secrets and hashes are compared in constant time, and an unknown user's
 * password is hashed as a known user's would be, so that neither the time
 * of an answer nor its content tells which user names exist.
 */

#include "gstmjpeghttpauth.h"

#include <crypt.h>
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>

/* A longer Authorization value is refused before it is decoded, so that no
 * one makes us decode megabytes; real credentials are far shorter. */
#define HEADER_MAX 1024
#define DECODED_MAX ((HEADER_MAX / 4) * 3 + 3)

/* The longest bcrypt or SHA-512-crypt hash, "rounds=999999999$" included. */
#define HASH_MAX 128

#define DIGEST_LEN 32

/* A browser fetching the page, the stream and the snapshot, or a viewer
 * that reconnects, costs one hash, not one per request. */
#define CACHE_SIZE 64

#define HOW_TO_HASH "\"htpasswd -B FILE USER\" writes a bcrypt line; " \
  "\"mkpasswd -m sha-512\" prints a SHA-512-crypt hash to put after \"USER:\""

typedef struct
{
  guint line;
  gchar hash[HASH_MAX];
} Entry;

/* What a request sent, decoded: the user, a NUL where the first ':' was,
 * the password. */
typedef struct
{
  /* twice the decoded size: room for Latin-1 made UTF-8 */
  gchar buf[2 * DECODED_MAX + 1];
  gsize len;
  const gchar *password;
} Credentials;

struct _GstMjpegHttpAuth
{
  guint8 key[DIGEST_LEN];       /* random, for every keyed digest */

  /* _new_password(): keyed digests of the user and the password */
  guint8 user_digest[DIGEST_LEN];
  guint8 password_digest[DIGEST_LEN];

  /* _new_file(): user name -> Entry, and the setting an unknown user's
   * password is hashed with */
  GHashTable *users;
  gchar dummy[CRYPT_GENSALT_OUTPUT_SIZE];

  GMutex lock;
  /* under @lock: keyed digests of granted credentials, a ring in which
   * the oldest is overwritten */
  guint8 grants[CACHE_SIZE][DIGEST_LEN];
  guint n_grants;
  guint next_grant;
};

/* The key only has to be unknown to clients; GLib's generator (seeded from
 * /dev/urandom) is the fallback for a kernel without getrandom(). */
static void
fill_random (guint8 * buf, gsize len)
{
  gsize done = 0;

  while (done < len) {
    gssize n = getrandom (buf + done, len - done, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += n;
  }
  for (; done < len; done++)
    buf[done] = g_random_int_range (0, 256);
}

static void
keyed_digest (GstMjpegHttpAuth * auth, const gchar * data, gsize len,
    guint8 * digest)
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, auth->key, sizeof (auth->key));
  gsize digest_len = DIGEST_LEN;

  g_hmac_update (hmac, (const guchar *) data, len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  g_hmac_unref (hmac);
}

/* Every byte is looked at whatever the first difference is, so the time
 * tells nothing about how much of a secret was right; volatile so that the
 * compiler does not turn the loop into an early exit. */
static gboolean
equal_bytes (const guint8 * a, const guint8 * b, gsize len)
{
  volatile guint8 diff = 0;
  gsize i;

  for (i = 0; i < len; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

/* As equal_bytes(), over the whole stored @expected whatever @computed's
 * length. */
static gboolean
equal_hash (const gchar * computed, const gchar * expected)
{
  gsize computed_len = strlen (computed), expected_len = strlen (expected);
  volatile guint diff = computed_len ^ expected_len;
  gsize i;

  for (i = 0; i < expected_len; i++)
    diff |= (guchar) expected[i] ^ (guchar) (i < computed_len ? computed[i] :
        0);
  return diff == 0;
}

/* Padded base64 and nothing else: g_base64_decode() would skip junk and
 * decode what is left. */
static gboolean
is_base64 (const gchar * s, gsize len)
{
  gsize i, pad = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  while (pad < 2 && s[len - 1 - pad] == '=')
    pad++;
  for (i = 0; i < len - pad; i++) {
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  }
  return TRUE;
}

/* libsoup (souphttpsrc) sends credentials in ISO-8859-1 when they fit in
 * it, whatever charset the challenge names; curl, ffmpeg and browsers send
 * UTF-8, as the files hold. Bytes that are not UTF-8 are read as Latin-1,
 * so "wörd" works from either. In place, from the end. */
static void
latin1_to_utf8 (Credentials * creds)
{
  gsize n = creds->len, extra = 0, i, j;

  for (i = 0; i < n; i++)
    extra += (guchar) creds->buf[i] >= 0x80;
  j = n + extra;
  creds->buf[j] = '\0';
  for (i = n; i-- > 0;) {
    guchar c = creds->buf[i];

    if (c < 0x80) {
      creds->buf[--j] = c;
    } else {
      creds->buf[--j] = 0x80 | (c & 0x3f);
      creds->buf[--j] = 0xc0 | (c >> 6);
    }
  }
  creds->len = n + extra;
}

/* TRUE when @authorization holds Basic credentials to judge, decoded into
 * @creds; otherwise *@result says MISSING or DENIED. The caller wipes
 * @creds either way. */
static gboolean
parse_basic (const gchar * authorization, Credentials * creds,
    GstMjpegHttpAuthResult * result)
{
  const gchar *token;
  gsize len;
  gint state = 0;
  guint save = 0;
  gchar *colon;

  creds->len = 0;
  if (!authorization || g_ascii_strncasecmp (authorization, "Basic", 5)
      || (authorization[5] != ' ' && authorization[5] != '\0'))
    goto not_basic;
  if (strnlen (authorization, HEADER_MAX + 1) > HEADER_MAX)
    goto too_long;

  token = authorization + 5;
  if (*token != ' ')
    goto malformed;
  while (*token == ' ')
    token++;
  len = strlen (token);
  if (!is_base64 (token, len))
    goto malformed;

  /* into a buffer of ours on the stack, rather than one g_base64_decode()
   * allocates: nothing on the heap to wipe */
  creds->len = g_base64_decode_step (token, len, (guchar *) creds->buf,
      &state, &save);
  creds->buf[creds->len] = '\0';
  if (memchr (creds->buf, '\0', creds->len))
    goto malformed;
  if (!g_utf8_validate (creds->buf, creds->len, NULL))
    latin1_to_utf8 (creds);
  /* the user cannot hold a ':' (RFC 7617); the password can */
  colon = memchr (creds->buf, ':', creds->len);
  if (!colon || colon == creds->buf)
    goto malformed;
  *colon = '\0';
  creds->password = colon + 1;
  return TRUE;

  /* ERRORS */
not_basic:
  {
    *result = GST_MJPEG_HTTP_AUTH_MISSING;
    return FALSE;
  }
too_long:
malformed:
  {
    *result = GST_MJPEG_HTTP_AUTH_DENIED;
    return FALSE;
  }
}

/* Both digests compared every time (& rather than &&): a wrong user costs
 * what a wrong password does. */
static GstMjpegHttpAuthResult
judge_password (GstMjpegHttpAuth * auth, const Credentials * creds)
{
  guint8 user[DIGEST_LEN], password[DIGEST_LEN];
  gboolean match;

  keyed_digest (auth, creds->buf, strlen (creds->buf), user);
  keyed_digest (auth, creds->password, strlen (creds->password), password);
  match = equal_bytes (user, auth->user_digest, DIGEST_LEN)
      & equal_bytes (password, auth->password_digest, DIGEST_LEN);
  explicit_bzero (password, sizeof (password));
  return match ? GST_MJPEG_HTTP_AUTH_GRANTED : GST_MJPEG_HTTP_AUTH_DENIED;
}

/* The cache's key: the whole credentials, so that a grant to one password
 * says nothing about another. */
static void
credentials_digest (GstMjpegHttpAuth * auth, const Credentials * creds,
    guint8 * digest)
{
  keyed_digest (auth, creds->buf, creds->len, digest);
}

static gboolean
is_cached (GstMjpegHttpAuth * auth, const guint8 * digest)
{
  gboolean found = FALSE;
  guint i;

  g_mutex_lock (&auth->lock);
  for (i = 0; i < auth->n_grants; i++)
    found |= equal_bytes (auth->grants[i], digest, DIGEST_LEN);
  g_mutex_unlock (&auth->lock);
  return found;
}

static void
cache_grant (GstMjpegHttpAuth * auth, const guint8 * digest)
{
  gboolean found = FALSE;
  guint i;

  g_mutex_lock (&auth->lock);
  /* two connections of one browser may have been verified at once */
  for (i = 0; i < auth->n_grants; i++)
    found |= equal_bytes (auth->grants[i], digest, DIGEST_LEN);
  if (!found) {
    memcpy (auth->grants[auth->next_grant], digest, DIGEST_LEN);
    auth->next_grant = (auth->next_grant + 1) % CACHE_SIZE;
    auth->n_grants = MIN (auth->n_grants + 1, CACHE_SIZE);
  }
  g_mutex_unlock (&auth->lock);
}

static gboolean
crypt_matches (const gchar * password, const gchar * hash)
{
  /* about 32 KiB: on the heap rather than a worker thread's stack */
  struct crypt_data *data = g_new0 (struct crypt_data, 1);
  const gchar *out;
  gboolean match;

  out = crypt_rn (password, hash, data, sizeof (*data));
  match = out != NULL && equal_hash (out, hash);
  explicit_bzero (data, sizeof (*data));
  g_free (data);
  return match;
}

static gboolean
is_crypt64 (const gchar * s, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++) {
    if (!g_ascii_isalnum (s[i]) && s[i] != '.' && s[i] != '/')
      return FALSE;
  }
  return TRUE;
}

/* $2y$NN$, then 22 characters of salt and 31 of hash, as htpasswd -B and
 * mkpasswd -m bcrypt write them */
static gboolean
is_bcrypt (const gchar * h)
{
  guint cost;

  if (strlen (h) != 60 || h[0] != '$' || h[1] != '2' || !strchr ("aby", h[2])
      || h[3] != '$' || !g_ascii_isdigit (h[4]) || !g_ascii_isdigit (h[5])
      || h[6] != '$')
    return FALSE;
  cost = (h[4] - '0') * 10 + (h[5] - '0');
  return cost >= 4 && cost <= 31 && is_crypt64 (h + 7, 53);
}

/* $6$[rounds=N$]salt$, then 86 characters of hash */
static gboolean
is_sha512 (const gchar * h)
{
  const gchar *p = h + 3;
  gsize n;

  if (!g_str_has_prefix (h, "$6$"))
    return FALSE;
  if (g_str_has_prefix (p, "rounds=")) {
    p += 7;
    n = strspn (p, "0123456789");
    if (n == 0 || n > 9 || p[n] != '$')
      return FALSE;
    p += n + 1;
  }
  n = strcspn (p, "$");
  if (n == 0 || n > 16 || p[n] != '$' || !is_crypt64 (p, n))
    return FALSE;
  p += n + 1;
  return strlen (p) == 86 && is_crypt64 (p, 86);
}

/* What one check may cost: bcrypt's cost 12 takes some 0.2 s here, 2^cost
 * rounds; SHA-512-crypt's 500000 rounds about 0.15 s (its default is
 * 5000). */
#define BCRYPT_COST_MAX 12
#define SHA512_ROUNDS_MAX 500000

/* @hash passed is_bcrypt() or is_sha512(). */
static gboolean
hash_is_too_slow (const gchar * hash)
{
  if (hash[1] == '2')
    return (hash[4] - '0') * 10 + (hash[5] - '0') > BCRYPT_COST_MAX;
  if (g_str_has_prefix (hash, "$6$rounds="))
    return g_ascii_strtoull (hash + 10, NULL, 10) > SHA512_ROUNDS_MAX;
  return FALSE;
}

/* For the error about a hash we cannot check: only names of schemes, never
 * a piece of the line, which may be a password in plain text. */
static const gchar *
describe_scheme (const gchar * hash)
{
  static const struct
  {
    const gchar *prefix;
    const gchar *name;
  } schemes[] = {
    {"$apr1$", "Apache MD5 ($apr1$)"},
    {"{SHA}", "SHA-1 ({SHA})"},
    {"$1$", "MD5-crypt ($1$)"},
    {"$5$", "SHA-256-crypt ($5$)"},
    {"$y$", "yescrypt ($y$)"},
    {"$gy$", "GOST yescrypt ($gy$)"},
    {"$7$", "scrypt ($7$)"},
    {"$3$", "NT hash ($3$)"},
    {"$md5", "SunMD5 ($md5$)"},
    {"$sha1$", "SHA-1-crypt ($sha1$)"},
    {"$argon2", "Argon2"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (schemes); i++) {
    if (g_str_has_prefix (hash, schemes[i].prefix))
      return schemes[i].name;
  }
  if (hash[0] == '$')
    return "an unknown crypt scheme";
  if (strlen (hash) == 13 && is_crypt64 (hash, 13))
    return "DES crypt";
  return "plain text or an unknown scheme";
}

/* The setting an unknown user's password is hashed with: the scheme and
 * cost of the file's first user, with a salt of its own. */
static void
make_dummy (GstMjpegHttpAuth * auth, const gchar * hash)
{
  gchar prefix[5] = "$6$";
  gulong count = 0;

  if (hash[1] == '2') {
    memcpy (prefix, hash, 4);
    prefix[4] = '\0';
    count = (hash[4] - '0') * 10 + (hash[5] - '0');
  } else if (g_str_has_prefix (hash, "$6$rounds=")) {
    count = g_ascii_strtoull (hash + 10, NULL, 10);
  }
  /* the first user's own hash costs the same, should libcrypt refuse */
  if (!crypt_gensalt_rn (prefix, count, NULL, 0, auth->dummy,
          sizeof (auth->dummy)))
    g_strlcpy (auth->dummy, hash, sizeof (auth->dummy));
}

static GstMjpegHttpAuth *
auth_new (void)
{
  GstMjpegHttpAuth *auth = g_new0 (GstMjpegHttpAuth, 1);

  fill_random (auth->key, sizeof (auth->key));
  g_mutex_init (&auth->lock);
  return auth;
}

/* Keeps no copy of the password, only its keyed digest. Credentials
 * longer than the header bound (about 760 bytes) can never be granted.
 * Transfer full. */
GstMjpegHttpAuth *
gst_mjpeg_http_auth_new_password (const gchar * user, const gchar * password)
{
  GstMjpegHttpAuth *auth;

  g_return_val_if_fail (user != NULL && *user != '\0', NULL);
  g_return_val_if_fail (strchr (user, ':') == NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  auth = auth_new ();
  keyed_digest (auth, user, strlen (user), auth->user_digest);
  keyed_digest (auth, password, strlen (password), auth->password_digest);
  return auth;
}

/* Lines "user:hash"; blank lines and lines starting with '#' are skipped,
 * trailing whitespace (a CR too) is ignored. Transfer full. */
GstMjpegHttpAuth *
gst_mjpeg_http_auth_new_file (const gchar * path, GError ** error)
{
  GstMjpegHttpAuth *auth = NULL;
  gchar *contents = NULL, *line, *next, *colon, *hash;
  const Entry *first = NULL;
  const gchar *why = NULL;
  Entry *entry, *other = NULL;
  gsize length;
  guint lineno = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    goto read_failed;
  if (memchr (contents, '\0', length))
    goto has_nul;

  auth = auth_new ();
  auth->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (line = contents; line; line = next) {
    next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    lineno++;

    g_strchomp (line);
    if (line[strspn (line, " \t")] == '\0' || line[strspn (line, " \t")] == '#')
      continue;
    colon = strchr (line, ':');
    if (!colon) {
      why = "has no ':' between the user and the hash";
      goto bad_line;
    }
    if (colon == line) {
      why = "has no user name before the ':'";
      goto bad_line;
    }
    *colon = '\0';
    hash = colon + 1;
    if (*hash == '\0') {
      why = "has no hash after the ':'";
      goto bad_line;
    }
    if (is_bcrypt (hash) || is_sha512 (hash)) {
      /* one we check, if it does not take too long: checks run one at a
       * time, and one that cannot be cut short holds up every login
       * behind it and the element's stopping */
      if (hash_is_too_slow (hash)) {
        why = "has a hash too slow to check (bcrypt cost above "
            G_STRINGIFY (BCRYPT_COST_MAX) ", or SHA-512-crypt rounds above "
            G_STRINGIFY (SHA512_ROUNDS_MAX) "): make it again, e.g. with "
            "htpasswd -B -C " G_STRINGIFY (BCRYPT_COST_MAX);
        goto bad_line;
      }
    } else if (g_str_has_prefix (hash, "$2a$") || g_str_has_prefix (hash,
            "$2b$") || g_str_has_prefix (hash, "$2y$")) {
      why = "has a malformed bcrypt hash (60 characters, cost 04 to 31)";
      goto bad_line;
    } else if (g_str_has_prefix (hash, "$6$")) {
      why = "has a malformed SHA-512-crypt hash";
      goto bad_line;
    } else {
      goto unsupported_scheme;
    }
    other = g_hash_table_lookup (auth->users, line);
    if (other)
      goto duplicate_user;

    entry = g_new0 (Entry, 1);
    entry->line = lineno;
    g_strlcpy (entry->hash, hash, sizeof (entry->hash));
    g_hash_table_insert (auth->users, g_strdup (line), entry);
    if (!first)
      first = entry;
  }
  if (!first)
    goto no_users;

  make_dummy (auth, first->hash);
  /* a leaked hash can be cracked offline: no stray copy */
  explicit_bzero (contents, length);
  g_free (contents);
  return auth;

  /* ERRORS */
read_failed:
  {
    /* GLib's message names the file and the system's reason */
    g_prefix_error (error, "auth file: ");
    return NULL;
  }
has_nul:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "auth file %s is not a text file (it holds a NUL byte)", path);
    goto failed;
  }
bad_line:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "auth file %s, line %u %s; lines are \"user:hash\"", path, lineno, why);
    goto failed;
  }
unsupported_scheme:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "auth file %s, line %u: the password is stored as %s, which is not "
        "supported; only bcrypt ($2y$, $2b$, $2a$) and SHA-512-crypt ($6$) "
        "are. " HOW_TO_HASH, path, lineno, describe_scheme (hash));
    goto failed;
  }
duplicate_user:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "auth file %s, line %u repeats the user of line %u; each user may "
        "be listed once", path, lineno, other->line);
    goto failed;
  }
no_users:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "auth file %s lists no users, so no one could log in: add lines "
        "\"user:hash\". " HOW_TO_HASH, path);
    goto failed;
  }
failed:
  {
    explicit_bzero (contents, length);
    g_free (contents);
    gst_mjpeg_http_auth_free (auth);
    return NULL;
  }
}

GstMjpegHttpAuthResult
gst_mjpeg_http_auth_check (GstMjpegHttpAuth * auth, const gchar * authorization)
{
  GstMjpegHttpAuthResult result;
  Credentials creds;
  guint8 digest[DIGEST_LEN];

  if (!parse_basic (authorization, &creds, &result)) {
    /* nothing to judge */
  } else if (!auth->users) {
    result = judge_password (auth, &creds);
  } else {
    /* an unknown user too: a quick DENIED would tell that it is unknown */
    credentials_digest (auth, &creds, digest);
    result = is_cached (auth, digest) ? GST_MJPEG_HTTP_AUTH_GRANTED :
        GST_MJPEG_HTTP_AUTH_NEEDS_HASH;
  }
  explicit_bzero (&creds, sizeof (creds));
  return result;
}

GstMjpegHttpAuthResult
gst_mjpeg_http_auth_verify (GstMjpegHttpAuth * auth,
    const gchar * authorization)
{
  GstMjpegHttpAuthResult result;
  Credentials creds;
  guint8 digest[DIGEST_LEN];
  const Entry *entry;
  gboolean match;

  if (!parse_basic (authorization, &creds, &result)) {
    /* nothing to judge */
  } else if (!auth->users) {
    result = judge_password (auth, &creds);
  } else {
    credentials_digest (auth, &creds, digest);
    if (is_cached (auth, digest)) {
      result = GST_MJPEG_HTTP_AUTH_GRANTED;
    } else {
      entry = g_hash_table_lookup (auth->users, creds.buf);
      /* an unknown user's password is hashed all the same, and refused */
      match = crypt_matches (creds.password, entry ? entry->hash :
          auth->dummy) && entry;
      if (match)
        cache_grant (auth, digest);
      result = match ? GST_MJPEG_HTTP_AUTH_GRANTED : GST_MJPEG_HTTP_AUTH_DENIED;
    }
  }
  explicit_bzero (&creds, sizeof (creds));
  return result;
}

void
gst_mjpeg_http_auth_free_secret (gchar * secret)
{
  if (!secret)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

void
gst_mjpeg_http_auth_free (GstMjpegHttpAuth * auth)
{
  if (!auth)
    return;
  g_clear_pointer (&auth->users, g_hash_table_unref);
  g_mutex_clear (&auth->lock);
  explicit_bzero (auth, sizeof (*auth));
  g_free (auth);
}
