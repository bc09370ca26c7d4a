/*
 * NAME
 *	certdisc - find a recipient's certificates and decide which may be
 *	used (Direct certificate discovery)
 * SUMMARY
 *	gw_certdisc_lookup() asks the configured backends, in order, for
 *	certificates bound to a recipient address, then to its domain, and
 *	applies the Direct selection rules in one place (resolve() in
 *	certdisc.c):
 *	  - the first (backend, level) step that yields any certificate
 *	    decides: address-bound before domain-bound;
 *	  - of those, only the ones the check (trust.h) accepts are used;
 *	  - if that step's certificates are all refused the recipient
 *	    fails: there is no fallback to the domain level or to a later
 *	    backend (RI AllCertsInResolverInvalid, DCDT D5-D8);
 *	  - nothing anywhere: not found.
 *	Every lookup returns diagnostics: which backend was asked for what,
 *	what it answered, and why each certificate was refused.
 * DESCRIPTION
 *	Backends are tables of function pointers (struct gw_certdisc_ops,
 *	with a version field, like gw_store_ops). Today: "local", the
 *	recipient certificates imported into keys_dir (certdisc_local.c).
 *	DNS CERT (RFC 4398) and LDAP come later as further tables; a
 *	backend answers "none" (0 with nothing added), "could not ask"
 *	(GW_EUNAVAIL: noted, the lookup goes on, as the RI does for LDAP)
 *	or "try later" (GW_ETEMP: the lookup stops with GW_ETEMP, because
 *	going on could skip an address level that exists and so break the
 *	no-fallback rule).
 *	Results are cached per (local domain, address) for cache_ttl
 *	seconds, GW_ETEMP results never.
 *
 *	Asynchronous use: gw_certdisc_lookup_async() takes a completion
 *	callback. With today's synchronous backends it calls back before it
 *	returns. The plan for DNS/LDAP: an ops version 2 adds
 *	lookup_start(be, name, level, found, done, arg) so a backend can
 *	finish on its own thread or event loop; resolve() becomes a small
 *	state machine over the (backend, level) steps, driven by those
 *	completions; callers of lookup_async do not change.
 * STANDARDS
 *	SPEC.md 1.7 (choosing certificates) and 6.1 (lookup order),
 *	Direct Applicability Statement, DCDT discovery tests D1-D13.
 * SECURITY
 *	Backends return untrusted certificates: nothing is used unless the
 *	check accepts it; the address is normalised (addr.h) first.
 * LIMITS
 *	cache_ttl, cache_max (struct gw_certdisc_opts);
 *	GW_CERTDISC_MAX_CERTS certificates per step; GW_CERTDISC_MAX_BACKENDS;
 *	diagnostics at most 16 KiB (then cut).
 */
#ifndef GW_CERTDISC_H
#define GW_CERTDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "err.h"
#include "smime.h"

#define GW_CERTDISC_MAX_CERTS    64
#define GW_CERTDISC_MAX_BACKENDS 8

struct gw_certdisc;
struct gw_certdisc_found;

enum gw_certdisc_level { GW_CERTDISC_ADDRESS, GW_CERTDISC_DOMAIN };

enum gw_certdisc_status {
	GW_CERTDISC_FOUND,   /* at least one usable certificate */
	GW_CERTDISC_NONE,    /* no certificate anywhere */
	GW_CERTDISC_INVALID, /* found some, all refused: recipient fails */
	GW_CERTDISC_TEMP,    /* a backend could not answer now */
};

struct gw_certdisc_cert {
	struct gw_smime_cert *cert; /* a reference owned by the result */
	char fp[GW_SMIME_FP_LEN];
	enum gw_certdisc_level level;
	const char *backend; /* static name of the backend */
	bool valid;
	char why[256]; /* the refusal, when !valid */
};

struct gw_certdisc_result {
	char address[GW_ADDR_MAX]; /* normalised */
	enum gw_certdisc_status status;
	enum gw_certdisc_level level;   /* of the deciding step */
	struct gw_certdisc_cert *certs; /* all of the deciding step */
	size_t ncerts;
	size_t nvalid;
	char *diag;  /* lines separated by '\n', never NULL */
	bool cached; /* answered from the cache */
};

/* Backend interface. */
#define GW_CERTDISC_OPS_VERSION 1

struct gw_certdisc_ops {
	int version;
	const char *name;
	/*
	 * Certificates published for name: an address at level ADDRESS, a
	 * domain at level DOMAIN. Add each with gw_certdisc_found_add();
	 * add notes for the diagnostics. 0 (also when there are none),
	 * GW_EUNAVAIL, GW_ETEMP. Must be thread-safe.
	 */
	int (*lookup)(void *be, const char *name, enum gw_certdisc_level level,
		      struct gw_certdisc_found *found, struct gw_err *err);
	void (*free)(void *be); /* may be NULL */
};

/* For backends: add a reference to c; GW_ELIMIT past the maximum. */
int gw_certdisc_found_add(struct gw_certdisc_found *f, struct gw_smime_cert *c);
/* For backends: one line of diagnostics. */
void gw_certdisc_found_note(struct gw_certdisc_found *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The check applied to every candidate: may local_domain encrypt to c
 * for bound_to at now? 0 or an error with the reason.
 */
typedef int (*gw_certdisc_check_fn)(void *arg, const char *local_domain,
				    const struct gw_smime_cert *c,
				    const char *bound_to, time_t now,
				    struct gw_err *err);

struct gw_certdisc_opts {
	long cache_ttl;   /* seconds; 0: no cache */
	size_t cache_max; /* entries */
	gw_certdisc_check_fn check;
	void *check_arg;
};

/* gw_trust_check() for encryption, as a check (arg: struct gw_trust *). */
int gw_certdisc_check_trust(void *trust, const char *local_domain,
			    const struct gw_smime_cert *c, const char *bound_to,
			    time_t now, struct gw_err *err);

/* A discovery front end with no backends yet. */
int gw_certdisc_new(const struct gw_certdisc_opts *opts,
		    struct gw_certdisc **out, struct gw_err *err);
/*
 * Append a backend (lookup order = order of calls); be is freed with
 * ops->free by gw_certdisc_free. GW_EUNAVAIL for a wrong ops version,
 * GW_ELIMIT past GW_CERTDISC_MAX_BACKENDS. Start-up only.
 */
int gw_certdisc_add_backend(struct gw_certdisc *cd,
			    const struct gw_certdisc_ops *ops, void *be,
			    struct gw_err *err);
/* Accepts NULL. */
void gw_certdisc_free(struct gw_certdisc *cd);

/*
 * Resolve address for our local_domain. *out is always set (except for
 * a bad address: GW_EPARSE, *out NULL) and the caller frees it:
 * 0 (FOUND: use the certs with valid set), GW_ENOTFOUND (NONE, 5.1.1),
 * GW_ETRUST (INVALID, 5.7.0), GW_ETEMP (TEMP, 4.4.3). Thread-safe.
 */
int gw_certdisc_lookup(struct gw_certdisc *cd, const char *local_domain,
		       const char *address, struct gw_certdisc_result **out,
		       struct gw_err *err);

/* Completion of an asynchronous lookup: owns res (may be NULL). */
typedef void (*gw_certdisc_done_fn)(void *arg, int rc,
				    struct gw_certdisc_result *res,
				    const struct gw_err *err);
/*
 * The same as a callback; done may run before this returns (today it
 * always does) or later on another thread.
 */
void gw_certdisc_lookup_async(struct gw_certdisc *cd, const char *local_domain,
			      const char *address, gw_certdisc_done_fn done,
			      void *arg);

/* Accepts NULL. */
void gw_certdisc_result_free(struct gw_certdisc_result *r);

/* The local backend: be is a struct gw_keys * (borrowed, not freed). */
extern const struct gw_certdisc_ops gw_certdisc_local_ops;

#endif
