/*
 * NAME
 *	xdm - IHE ITI-32 XDM packages (ZIP): build and check
 * SUMMARY
 *	gw_xdm_build() turns a stored submission (its SubmitObjectsRequest
 *	and the spool files of its documents) into one XDM ZIP in a fresh
 *	private directory; gw_xdm_remove() deletes both. gw_xdm_check()
 *	applies the NIST XDM decoder's structural rules to any ZIP.
 * STANDARDS
 *	ITI TF-2 3.32 (XDM, ZIP over Email), ITI TF-3 4.2.3 (URI, size,
 *	hash), ECMA-119 level 1 names (NIST ValidateISO9660).
 */
#ifndef GW_XDM_H
#define GW_XDM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "xds.h"

/* One document of the package. All pointers are borrowed. */
struct gw_xdm_doc {
	const char *entry_id;  /* ExtrinsicObject/@id in the metadata */
	const char *mime_type; /* picks the file suffix */
	const char *path;      /* spool file holding the bytes */
	uint64_t size;         /* as recorded by the store */
	const char *sha1;      /* 40 hex digits, as recorded */
};

/* What to package. All pointers are borrowed. */
struct gw_xdm_input {
	const char *metadata; /* the stored lcm:SubmitObjectsRequest */
	size_t metadata_len;
	const struct gw_xdm_doc *docs; /* in ExtrinsicObject order */
	size_t ndocs;
	const char *institution;         /* for INDEX.HTM and README.TXT */
	const char *gateway;             /* name and version, e.g. "dxgw 0.1" */
	const struct gw_xds_limits *lim; /* metadata limits; NULL: defaults */
};

/* The file name of the package inside its directory. */
#define GW_XDM_ZIP_NAME "XDM.ZIP"
/* Documents: IHE_XDM/SUBSET01/DOC00001.XML, ... */
#define GW_XDM_SUBSET   "IHE_XDM/SUBSET01"
#define GW_XDM_MAX_DOCS 99999

/*
 * The upper-case suffix (without the dot) for a mimeType: XML for text/xml,
 * application/xml and any +xml type, PDF, TXT, HTM, RTF, JPG, PNG, TIF;
 * BIN for anything else. Parameters and case are ignored. Never NULL.
 */
const char *gw_xdm_suffix(const char *mime_type);

/*
 * Build the XDM ZIP for in in a new directory tmpdir/xdm.XXXXXX (0700)
 * and return its path, tmpdir/xdm.XXXXXX/XDM.ZIP, in *zip_path_out (the
 * caller frees it and removes the package with gw_xdm_remove). Entries:
 * INDEX.HTM, README.TXT, IHE_XDM/, IHE_XDM/SUBSET01/, METADATA.XML (the
 * metadata with URI, size and hash slots on every DocumentEntry) and
 * DOC00001.<suffix>..., copied from the spool files and hashed on the
 * way. Returns 0; GW_ETRUST when a file's size or SHA-1 differs from the
 * recorded one; GW_EPARSE/GW_ELIMIT/GW_ENOTFOUND/GW_ERROR from the
 * metadata (see gw_xdsxml_set_doc_slots); GW_ETEMP on I/O errors. On any
 * error nothing is left under tmpdir and *zip_path_out is NULL.
 * Thread-safe.
 */
/*
 * The same package built in memory and appended to out (no file is
 * written; the documents are read from their spool files). GW_ELIMIT
 * when it would pass out's maximum.
 */
int gw_xdm_build_mem(const struct gw_xdm_input *in, struct gw_buf *out,
		     struct gw_err *err);
int gw_xdm_build(const struct gw_xdm_input *in, const char *tmpdir,
		 char **zip_path_out, struct gw_err *err);

/*
 * Delete a package made by gw_xdm_build: its directory and everything in
 * it. Accepts NULL; refuses (and logs) a path whose directory is not named
 * xdm.*. Thread-safe.
 */
void gw_xdm_remove(const char *zip_path);

/* Bounds for gw_xdm_check; zero fields take the defaults. */
struct gw_xdm_limits {
	unsigned max_entries; /* ZIP entries, default 1000 */
	uint64_t max_total;   /* uncompressed bytes, default 256 MiB */
};

/* What gw_xdm_check found. */
struct gw_xdm_report {
	unsigned nsubsets; /* IHE_XDM/<subset>/METADATA.XML files */
	unsigned ndocs;    /* DocumentEntries whose file was verified */
	unsigned njunk;    /* __MACOSX/, .DS_Store, ._* entries skipped */
};

/*
 * Check the ZIP at zip_path as the NIST XDM decoder does: INDEX.HTM and
 * README.TXT at the root and IHE_XDM/<subset>/METADATA.XML, matched
 * case-sensitively; every other name ISO 9660 level 1 (A-Z 0-9 _, 8.3
 * files, 8-character directories, at most 8 levels; macOS junk entries
 * are skipped and counted); no absolute, backslash or ".." names; every
 * DocumentEntry of every METADATA.XML has one single-valued URI, size and
 * hash slot, and the URI (relative to the METADATA.XML folder) names a
 * file of the package whose byte count and SHA-1 equal them. lim may be
 * NULL. Returns 0 when conformant; GW_EPARSE with err saying what is
 * wrong when not; GW_ELIMIT past a limit; GW_ETEMP when the file cannot
 * be read. rep may be NULL. Thread-safe.
 */
int gw_xdm_check(const char *zip_path, const struct gw_xdm_limits *lim,
		 struct gw_xdm_report *rep, struct gw_err *err);

#endif
