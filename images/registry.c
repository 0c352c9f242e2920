/* Registry client; see registry.h.  libcurl is loaded on first use. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/json.h"
#include "images/auth.h"
#include "images/manifest.h"
#include "images/sha256.h"
#include "images/registry.h"
#include "images/store.h"

static DLIB_PTR(curl_global_init);
static DLIB_PTR(curl_easy_init);
static DLIB_PTR(curl_easy_setopt);
static DLIB_PTR(curl_easy_perform);
static DLIB_PTR(curl_easy_getinfo);
static DLIB_PTR(curl_easy_cleanup);
static DLIB_PTR(curl_easy_strerror);
static DLIB_PTR(curl_easy_escape);
static DLIB_PTR(curl_free);
static DLIB_PTR(curl_slist_append);
static DLIB_PTR(curl_slist_free_all);
static DLIB_PTR(curl_multi_init);
static DLIB_PTR(curl_multi_add_handle);
static DLIB_PTR(curl_multi_remove_handle);
static DLIB_PTR(curl_multi_perform);
static DLIB_PTR(curl_multi_poll);
static DLIB_PTR(curl_multi_info_read);
static DLIB_PTR(curl_multi_cleanup);
static const struct dlib_sym curl_syms[] = {
	DLIB_SYM(curl_global_init), DLIB_SYM(curl_easy_init), DLIB_SYM(curl_easy_setopt),
	DLIB_SYM(curl_easy_perform), DLIB_SYM(curl_easy_getinfo), DLIB_SYM(curl_easy_cleanup),
	DLIB_SYM(curl_easy_strerror), DLIB_SYM(curl_easy_escape), DLIB_SYM(curl_free),
	DLIB_SYM(curl_slist_append), DLIB_SYM(curl_slist_free_all), DLIB_SYM(curl_multi_init),
	DLIB_SYM(curl_multi_add_handle), DLIB_SYM(curl_multi_remove_handle),
	DLIB_SYM(curl_multi_perform), DLIB_SYM(curl_multi_poll), DLIB_SYM(curl_multi_info_read),
	DLIB_SYM(curl_multi_cleanup),
};
static struct dlib curl_lib = { .soname = "libcurl.so.4", .package = "libcurl4" };

struct registry {
	const struct image_ref *ref;
	struct registry_opts o;
	char base[512];                 /* "https://host:port" */
	char *user, *pass;
	struct auth_challenge chal;     /* from the ping */
	char *token;                    /* Bearer token for the repository scope */
	bool auth_needed;
};

struct membuf {
	char *data;
	size_t len, max;
	char ctype[128];
	char challenge[2048];
};

static size_t mem_write(char *p, size_t sz, size_t n, void *data)
{
	struct membuf *m = data;
	size_t add = sz * n;
	char *nd;

	if (m->len + add > m->max)
		return 0;   /* aborts the transfer: larger than announced */
	nd = realloc(m->data, m->len + add + 1);
	if (nd == NULL)
		return 0;
	memcpy(nd + m->len, p, add);
	m->data = nd;
	m->len += add;
	m->data[m->len] = '\0';
	return add;
}

/* Keeps Content-Type and WWW-Authenticate from the (last) response. */
static size_t mem_header(char *p, size_t sz, size_t n, void *data)
{
	struct membuf *m = data;
	size_t len = sz * n;
	char line[2048];

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "HTTP/", 5) == 0)
		m->ctype[0] = m->challenge[0] = '\0';
	else if (strncasecmp(line, "Content-Type:", 13) == 0)
		snprintf(m->ctype, sizeof(m->ctype), "%s", line + 13 + strspn(line + 13, " "));
	else if (strncasecmp(line, "WWW-Authenticate:", 17) == 0)
		snprintf(m->challenge, sizeof(m->challenge), "%s", line + 17 + strspn(line + 17, " "));
	return len;
}

static void common_opts(struct registry *r, CURL *h)
{
	sym_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	sym_curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	sym_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer (under 1 byte/s for 60 s) fails instead of hanging */
	sym_curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	sym_curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	sym_curl_easy_setopt(h, CURLOPT_USERAGENT, "hull/" HULL_VERSION);
	sym_curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (!r->o.tls_verify) {
		sym_curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		sym_curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static struct curl_slist *auth_headers(struct registry *r, struct curl_slist *l)
{
	char hdr[8192];

	if (r->token) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", r->token);
		l = sym_curl_slist_append(l, hdr);
	} else if (r->chal.scheme == AUTH_BASIC && r->user) {
		autofree char *raw = NULL;
		autofree char *b = NULL;

		if (asprintf(&raw, "%s:%s", r->user, r->pass ? r->pass : "") >= 0 &&
		    (b = base64_encode(raw, strlen(raw))) != NULL) {
			snprintf(hdr, sizeof(hdr), "Authorization: Basic %s", b);
			l = sym_curl_slist_append(l, hdr);
		}
	}
	return l;
}

/* One GET into memory.  Returns the HTTP status, or -1 with err set for
 * transport errors. */
static long http_get(struct registry *r, const char *url, const char *accept, bool auth,
		     struct membuf *m, struct hull_error *err)
{
	CURL *h = sym_curl_easy_init();
	struct curl_slist *hl = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long code = -1;
	CURLcode c;

	if (h == NULL)
		return hull_error_set(err, ENOMEM, "curl_easy_init");
	common_opts(r, h);
	if (accept) {
		char a[512];

		snprintf(a, sizeof(a), "Accept: %s", accept);
		hl = sym_curl_slist_append(hl, a);
	}
	if (auth)
		hl = auth_headers(r, hl);
	sym_curl_easy_setopt(h, CURLOPT_URL, url);
	sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	sym_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mem_write);
	sym_curl_easy_setopt(h, CURLOPT_WRITEDATA, m);
	sym_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, mem_header);
	sym_curl_easy_setopt(h, CURLOPT_HEADERDATA, m);
	sym_curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	c = sym_curl_easy_perform(h);
	if (c == CURLE_OK)
		sym_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	else if (c == CURLE_WRITE_ERROR)
		hull_error_set(err, EFBIG, "GET %s: response larger than %zu bytes", url, m->max);
	else
		hull_error_set(err, c == CURLE_COULDNT_CONNECT ? ECONNREFUSED : EIO,
			       "registry %s is unreachable: GET %s: %s", r->ref->registry, url,
			       errbuf[0] ? errbuf : sym_curl_easy_strerror(c));
	sym_curl_slist_free_all(hl);
	sym_curl_easy_cleanup(h);
	return code;
}

/* The distribution spec's error body: {"errors":[{"code":..,"message":..}]}. */
static void error_detail(const struct membuf *m, char *buf, size_t size)
{
	json_node *doc = NULL;
	struct hull_error ignored = { 0 };
	const json_node *errs, *e0, *c, *msg;

	buf[0] = '\0';
	if (m->data == NULL || json_parse(m->data, &doc, &ignored) < 0)
		return;
	errs = json_type_of(doc) == JSON_OBJECT ? json_object_get(doc, "errors") : NULL;
	e0 = errs && json_type_of(errs) == JSON_ARRAY && json_array_len(errs) ? json_array_get(errs, 0) : NULL;
	if (e0 && json_type_of(e0) == JSON_OBJECT) {
		c = json_object_get(e0, "code");
		msg = json_object_get(e0, "message");
		snprintf(buf, size, " (%s%s%s)", c && json_type_of(c) == JSON_STRING ? json_string(c) : "",
			 msg && json_type_of(msg) == JSON_STRING ? ": " : "",
			 msg && json_type_of(msg) == JSON_STRING ? json_string(msg) : "");
	}
	json_free(doc);
}

static int status_error(struct registry *r, long code, const char *what,
			const struct membuf *m, struct hull_error *err)
{
	char detail[512];

	error_detail(m, detail, sizeof(detail));
	switch (code) {
	case 401:
		return hull_error_set(err, EACCES, "%s: 401 unauthorized%s: %s", what, detail,
				      r->user ? "the registry refused the credentials"
					      : "the registry needs credentials (none in auth.json for this registry)");
	case 403:
		return hull_error_set(err, EACCES, "%s: 403 denied%s", what, detail);
	case 404:
		return hull_error_set(err, ENOENT, "%s: 404 not found%s", what, detail);
	case 429:
		return hull_error_set(err, EAGAIN, "%s: 429 too many requests%s: the registry rate-limits this client, try later",
				      what, detail);
	default:
		return hull_error_set(err, EIO, "%s: HTTP %ld%s", what, code, detail);
	}
}

/* GET realm?service=..&scope=.. (with Basic credentials if we have them). */
static int fetch_token(struct registry *r, const char *scope, struct hull_error *err)
{
	struct membuf m = { .max = 1 << 20 };
	autofree char *url = NULL;
	char *svc = sym_curl_easy_escape(NULL, r->chal.service, 0);
	char *sc = sym_curl_easy_escape(NULL, scope, 0);
	struct auth_challenge saved = r->chal;
	json_node *doc = NULL;
	const json_node *t;
	long code;
	int rc = -1;

	if (svc == NULL || sc == NULL || asprintf(&url, "%s%sservice=%s&scope=%s", r->chal.realm,
						  strchr(r->chal.realm, '?') ? "&" : "?", svc, sc) < 0) {
		hull_error_set(err, ENOMEM, "token URL");
		goto out;
	}
	free(r->token);
	r->token = NULL;
	/* the token endpoint takes Basic credentials, whatever the scheme */
	r->chal.scheme = AUTH_BASIC;
	code = http_get(r, url, NULL, true, &m, err);
	r->chal = saved;
	if (code < 0)
		goto out;
	if (code != 200) {
		status_error(r, code, "getting a token", &m, err);
		goto out;
	}
	if (json_parse(m.data ? m.data : "", &doc, err) < 0 || json_type_of(doc) != JSON_OBJECT) {
		hull_error_set(err, EINVAL, "token service %s: not a JSON object", r->chal.realm);
		goto out;
	}
	t = json_object_get(doc, "token");
	if (t == NULL || json_type_of(t) != JSON_STRING)
		t = json_object_get(doc, "access_token");
	if (t == NULL || json_type_of(t) != JSON_STRING || strlen(json_string(t)) > 7000) {
		hull_error_set(err, EINVAL, "token service %s: no usable \"token\" in the answer", r->chal.realm);
		goto out;
	}
	r->token = strdup(json_string(t));
	rc = r->token ? 0 : hull_error_errno(err, "strdup");
out:
	json_free(doc);
	free(m.data);
	if (svc)
		sym_curl_free(svc);
	if (sc)
		sym_curl_free(sc);
	return rc;
}

static int authorize(struct registry *r, const char *scope, struct hull_error *err)
{
	if (r->chal.scheme == AUTH_BEARER)
		return fetch_token(r, scope, err);
	return 0;
}

int registry_open(const struct image_ref *ref, const struct registry_opts *o,
		  struct registry **out, struct hull_error *err)
{
	struct registry *r;
	struct membuf m = { .max = 1 << 20 };
	char url[600], scope[600];
	bool loop = image_registry_is_loopback(ref->registry);
	long code;

	if (dlib_load(&curl_lib, curl_syms, DLIB_COUNT(curl_syms), err) < 0)
		return -1;
	sym_curl_global_init(CURL_GLOBAL_DEFAULT);
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return hull_error_errno(err, "calloc");
	r->ref = ref;
	r->o = *o;
	if (r->o.parallel == 0)
		r->o.parallel = 4;
	if (o->user) {
		r->user = strdup(o->user);
		r->pass = strdup(o->pass ? o->pass : "");
	} else if (auth_lookup(ref->registry, &r->user, &r->pass, err) < 0) {
		goto fail;
	}
	/* Plain HTTP only for loopback registries (as Docker allows) or
	 * with --tls-verify=false; HTTPS is tried first either way. */
	snprintf(r->base, sizeof(r->base), "https://%s", image_ref_api_host(ref));
	snprintf(url, sizeof(url), "%s/v2/", r->base);
	code = http_get(r, url, NULL, false, &m, err);
	if (code < 0 && (loop || !o->tls_verify)) {
		hull_error_clear(err);
		free(m.data);
		m.data = NULL;
		m.len = 0;
		snprintf(r->base, sizeof(r->base), "http://%s", image_ref_api_host(ref));
		snprintf(url, sizeof(url), "%s/v2/", r->base);
		code = http_get(r, url, NULL, false, &m, err);
	} else if (code < 0 && !loop) {
		hull_error_prefix(err, "(plain HTTP is used only for 127.0.0.0/8 or with --tls-verify=false)");
	}
	if (code < 0)
		goto fail;
	if (code == 401) {
		if (m.challenge[0] == '\0') {
			hull_error_set(err, EPROTO, "%s: 401 without a WWW-Authenticate challenge", url);
			goto fail;
		}
		if (auth_challenge_parse(m.challenge, &r->chal, err) < 0)
			goto fail;
		if (r->chal.scheme == AUTH_BASIC && r->user == NULL) {
			hull_error_set(err, EACCES, "registry %s needs credentials (Basic auth), and no auth.json has them",
				       ref->registry);
			goto fail;
		}
		snprintf(scope, sizeof(scope), "repository:%s:pull", ref->repository);
		if (authorize(r, scope, err) < 0)
			goto fail;
	} else if (code != 200) {
		status_error(r, code, url, &m, err);
		goto fail;
	}
	free(m.data);
	*out = r;
	return 0;
fail:
	free(m.data);
	registry_close(r);
	return hull_error_prefix(err, "%s", ref->registry);
}

void registry_close(struct registry *r)
{
	if (r == NULL)
		return;
	free(r->user);
	free(r->pass);
	free(r->token);
	free(r);
}

/* GET with one re-authorization when a Bearer challenge asks for another
 * scope (insufficient_scope) or the token expired. */
static long get_authed(struct registry *r, const char *url, const char *accept,
		       struct membuf *m, struct hull_error *err)
{
	long code = http_get(r, url, accept, true, m, err);

	if (code == 401 && m->challenge[0]) {
		struct auth_challenge c;
		char scope[600];

		if (auth_challenge_parse(m->challenge, &c, err) < 0)
			return -1;
		if (c.scheme == AUTH_BEARER) {
			snprintf(scope, sizeof(scope), "%s", c.scope[0] ? c.scope : "");
			if (scope[0] == '\0')
				snprintf(scope, sizeof(scope), "repository:%s:pull", r->ref->repository);
			r->chal = c;
			if (fetch_token(r, scope, err) < 0)
				return -1;
			free(m->data);
			m->data = NULL;
			m->len = 0;
			code = http_get(r, url, accept, true, m, err);
		}
	}
	return code;
}

int registry_get_manifest(struct registry *r, const char *reference, char **body,
			  size_t *len, char **ctype, char digest_out[72],
			  struct hull_error *err)
{
	struct membuf m = { .max = 4 << 20 };
	char url[1024], what[700];
	long code;

	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", r->base, r->ref->repository, reference);
	snprintf(what, sizeof(what), "manifest %s/%s:%s", r->ref->registry, r->ref->repository, reference);
	code = get_authed(r, url, MT_ACCEPT_ALL, &m, err);
	if (code < 0) {
		free(m.data);
		return -1;
	}
	if (code != 200) {
		status_error(r, code, what, &m, err);
		free(m.data);
		return -1;
	}
	if (m.data == NULL) {
		free(m.data);
		return hull_error_set(err, EPROTO, "%s: empty body", what);
	}
	store_digest(m.data, m.len, digest_out);
	if (strncmp(reference, "sha256:", 7) == 0 && strcmp(reference, digest_out) != 0) {
		free(m.data);
		return hull_error_set(err, EINVAL, "%s: digest mismatch: the registry sent %s", what, digest_out);
	}
	*body = m.data;
	*len = m.len;
	*ctype = strdup(m.ctype);
	return 0;
}

int registry_get_blob(struct registry *r, const char *digest, uint64_t size,
		      char **body, size_t *len, struct hull_error *err)
{
	struct membuf m = { .max = (size_t)size };
	char url[1024], got[72];
	long code;

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", r->base, r->ref->repository, digest);
	code = get_authed(r, url, NULL, &m, err);
	if (code < 0 || code != 200) {
		if (code >= 0)
			status_error(r, code, digest, &m, err);
		free(m.data);
		return hull_error_prefix(err, "blob %s", digest);
	}
	store_digest(m.data ? m.data : "", m.len, got);
	if (m.len != size || strcmp(got, digest) != 0) {
		free(m.data);
		return hull_error_set(err, EINVAL, "blob %s: digest mismatch (got %s, %zu bytes): nothing was stored",
				      digest, got, m.len);
	}
	*body = m.data ? m.data : strdup("");
	*len = m.len;
	return 0;
}

/* --- parallel layer downloads --- */

struct transfer {
	struct blob_job *job;
	CURL *h;
	struct curl_slist *hl;
	int fd;
	struct img_sha256 sha;
	long status;          /* first status line seen for the final response */
	bool first_chunk;     /* the next body byte is the response's first */
	blob_progress_fn progress;
	void *data;
	int tries;
	char errbuf[CURL_ERROR_SIZE];
	char challenge[2048];
};

static size_t blob_header(char *p, size_t sz, size_t n, void *data)
{
	struct transfer *t = data;
	size_t len = sz * n;

	if (len > 12 && strncasecmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);

		t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		t->challenge[0] = '\0';
		t->first_chunk = true;
	} else if (len > 17 && strncasecmp(p, "WWW-Authenticate:", 17) == 0 && len < sizeof(t->challenge) + 17) {
		size_t k = len - 17;

		memcpy(t->challenge, p + 17, k);
		t->challenge[k] = '\0';
		t->challenge[strcspn(t->challenge, "\r\n")] = '\0';
	}
	return len;
}

static size_t blob_write(char *p, size_t sz, size_t n, void *data)
{
	struct transfer *t = data;
	size_t len = sz * n;

	/* Only the body of the final 200/206 goes to the file; a 200 when a
	 * range was asked means the server sends it all again. */
	if (t->first_chunk && t->status == 200 && t->job->have > 0) {
		if (ftruncate(t->fd, 0) < 0)
			return 0;
		img_sha256_init(&t->sha);
		t->job->have = 0;
		t->job->resumed_from = 0;
	}
	t->first_chunk = false;
	if (t->status != 200 && t->status != 206)
		return len;  /* an error body: ignored, the status decides */
	if (t->job->have + len > t->job->size)
		return 0;    /* more than the manifest announced */
	for (size_t done = 0; done < len; ) {
		ssize_t w = pwrite(t->fd, p + done, len - done, (off_t)(t->job->have + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 0;
		done += (size_t)w;
	}
	img_sha256_update(&t->sha, p, len);
	t->job->have += len;
	t->job->fetched += len;
	if (t->progress)
		t->progress(t->data, t->job, BLOB_PROGRESS);
	return len;
}

/* Re-hashes the bytes a previous run left, so the digest still covers the
 * whole blob; nothing is fetched twice. */
static int open_partial(struct transfer *t, struct hull_error *err)
{
	struct blob_job *j = t->job;
	char buf[1 << 16];
	struct stat s;
	ssize_t n;

	img_sha256_init(&t->sha);
	j->have = 0;
	t->fd = open(j->partial_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (t->fd < 0 || fstat(t->fd, &s) < 0)
		return hull_error_errno(err, "%s", j->partial_path);
	if ((uint64_t)s.st_size > j->size && ftruncate(t->fd, 0) < 0)
		return hull_error_errno(err, "%s", j->partial_path);
	while ((n = read(t->fd, buf, sizeof(buf))) > 0) {
		img_sha256_update(&t->sha, buf, (size_t)n);
		j->have += (uint64_t)n;
	}
	if (n < 0)
		return hull_error_errno(err, "%s", j->partial_path);
	j->resumed_from = j->have;
	return 0;
}

static int start_transfer(struct registry *r, CURLM *multi, struct transfer *t,
			  struct hull_error *err)
{
	char url[1024], range[64];

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", r->base, r->ref->repository, t->job->digest);
	t->h = sym_curl_easy_init();
	if (t->h == NULL)
		return hull_error_set(err, ENOMEM, "curl_easy_init");
	common_opts(r, t->h);
	t->hl = auth_headers(r, NULL);
	t->status = 0;
	sym_curl_easy_setopt(t->h, CURLOPT_URL, url);
	sym_curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->hl);
	sym_curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, blob_write);
	sym_curl_easy_setopt(t->h, CURLOPT_WRITEDATA, t);
	sym_curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION, blob_header);
	sym_curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t);
	sym_curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->errbuf);
	sym_curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	if (t->job->have > 0) {
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)t->job->have);
		sym_curl_easy_setopt(t->h, CURLOPT_RANGE, range);
	}
	if (t->progress)
		t->progress(t->data, t->job, BLOB_START);
	return sym_curl_multi_add_handle(multi, t->h) == CURLM_OK ? 0
		: hull_error_set(err, EIO, "curl_multi_add_handle");
}

static void end_transfer(CURLM *multi, struct transfer *t)
{
	if (t->h) {
		sym_curl_multi_remove_handle(multi, t->h);
		sym_curl_easy_cleanup(t->h);
		t->h = NULL;
	}
	sym_curl_slist_free_all(t->hl);
	t->hl = NULL;
}

/* A finished transfer: verify and move into place, or fail. */
static int finish_transfer(struct registry *r, struct transfer *t, CURLcode c,
			   struct hull_error *err)
{
	struct blob_job *j = t->job;
	char hex[72];

	if (c != CURLE_OK && !(c == CURLE_WRITE_ERROR && j->have > j->size))
		return hull_error_set(err, EIO, "blob %s: %s (the %llu bytes received are kept and the next pull resumes)",
				      j->digest, t->errbuf[0] ? t->errbuf : sym_curl_easy_strerror(c),
				      (unsigned long long)j->have);
	if (t->status == 416) {
		/* the range starts at or past the end: our partial is bad */
		j->have = j->size + 1;
	} else if (t->status != 200 && t->status != 206) {
		struct membuf m = { 0 };
		return status_error(r, t->status, j->digest, &m, err);
	}
	if (j->have != j->size) {
		unlink(j->partial_path);
		return hull_error_set(err, EINVAL, "blob %s: got %llu bytes, the manifest says %llu: nothing was stored",
				      j->digest, (unsigned long long)j->have, (unsigned long long)j->size);
	}
	img_sha256_final(&t->sha, hex);
	if (strcmp(hex, j->digest) != 0) {
		unlink(j->partial_path);
		return hull_error_set(err, EINVAL, "blob %s: digest mismatch (the bytes hash to %s): nothing was stored",
				      j->digest, hex);
	}
	/* No fsync: the blob is unpacked right away from the page cache, and
	 * a blob a crash left damaged fails its diff_id check when it is
	 * unpacked again (and the pull fetches it anew after `hull gc`). */
	if (rename(j->partial_path, j->final_path) < 0)
		return hull_error_errno(err, "storing blob %s", j->digest);
	if (t->progress)
		t->progress(t->data, j, BLOB_DONE);
	return 0;
}

int registry_fetch_blobs(struct registry *r, struct blob_job *jobs, size_t n,
			 blob_progress_fn progress, void *data, struct hull_error *err)
{
	CURLM *multi = sym_curl_multi_init();
	struct transfer *t = calloc(n + 1, sizeof(*t));
	size_t next = 0, active = 0;
	int rc = -1;

	if (multi == NULL || t == NULL) {
		hull_error_set(err, ENOMEM, "curl_multi_init");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		t[i].job = &jobs[i];
		t[i].fd = -1;
		t[i].progress = progress;
		t[i].data = data;
	}
	for (;;) {
		CURLMsg *msg;
		int running, left;

		while (active < r->o.parallel && next < n) {
			struct transfer *x = &t[next++];
			struct stat s;

			if (stat(x->job->final_path, &s) == 0) {
				x->job->have = x->job->size;
				if (progress)
					progress(data, x->job, BLOB_DONE);
				continue;
			}
			if (open_partial(x, err) < 0)
				goto out;
			if (x->job->have == x->job->size) {
				/* complete from an earlier run: verify, fetch nothing */
				x->status = 206;
				int fr = finish_transfer(r, x, CURLE_OK, err);
				close(x->fd);
				x->fd = -1;
				if (fr < 0)
					goto out;
				continue;
			}
			if (start_transfer(r, multi, x, err) < 0)
				goto out;
			active++;
		}
		if (active == 0)
			break;
		if (sym_curl_multi_perform(multi, &running) != CURLM_OK) {
			hull_error_set(err, EIO, "curl_multi_perform");
			goto out;
		}
		while ((msg = sym_curl_multi_info_read(multi, &left)) != NULL) {
			struct transfer *x = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			sym_curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			CURLcode c = msg->data.result;
			end_transfer(multi, x);
			active--;
			if (x->status == 401 && x->tries++ == 0 && x->challenge[0]) {
				/* token expired or scope changed: once more */
				struct auth_challenge ch;
				char scope[600];

				if (auth_challenge_parse(x->challenge, &ch, err) < 0)
					goto out;
				if (ch.scheme == AUTH_BEARER) {
					r->chal = ch;
					snprintf(scope, sizeof(scope), "%s", ch.scope);
					if (scope[0] == '\0')
						snprintf(scope, sizeof(scope), "repository:%s:pull", r->ref->repository);
					if (fetch_token(r, scope, err) < 0 || start_transfer(r, multi, x, err) < 0)
						goto out;
					active++;
					continue;
				}
			}
			if (x->status == 416 && x->tries++ == 0) {
				if (ftruncate(x->fd, 0) < 0 || open_partial(x, err) < 0 || start_transfer(r, multi, x, err) < 0)
					goto out;
				active++;
				continue;
			}
			int fr = finish_transfer(r, x, c, err);
			close(x->fd);
			x->fd = -1;
			if (fr < 0)
				goto out;
		}
		if (active && sym_curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			hull_error_set(err, EIO, "curl_multi_poll");
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; t && i < n; i++) {
		end_transfer(multi, &t[i]);
		img_sha256_free(&t[i].sha);
		if (t[i].fd >= 0)
			close(t[i].fd);
	}
	free(t);
	if (multi)
		sym_curl_multi_cleanup(multi);
	return rc;
}
