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

#include <stdbool.h>
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
	/*
	 * Not NULL: the first C-CDA's rendering as a whole XHTML page
	 * (render.h) is appended here (nothing when no document is a
	 * C-CDA or it does not render), for a text/html part.
	 */
	struct gw_buf *html_out;
	bool no_render; /* INDEX.HTM lists the documents only */
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
 * INDEX.HTM links README.TXT and every document file and, for each
 * document that is a C-CDA (gw_cda_sniff), carries its rendering
 * (gw_render_cda, GW_RENDER_BODY with ids prefixed "docN-") below the
 * list; one that does not render is listed as such and the package is
 * built all the same.
 *
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

/*
 * Bounds for gw_xdm_check and gw_xdm_read; zero fields take the defaults.
 * gw_xdm_check uses only max_entries and max_total (default 256 MiB).
 */
struct gw_xdm_limits {
	unsigned max_entries; /* ZIP entries, default 1000 */
	uint64_t max_total;   /* uncompressed bytes, default 200 MiB (read) */
	uint64_t max_entry;   /* uncompressed bytes of one entry, 40 MiB */
	unsigned max_ratio;   /* uncompressed : compressed, default 100 */
	uint64_t ratio_after; /* the ratio counts past this many bytes of an
				 entry, default 1 MiB */
	unsigned max_name;    /* bytes of an entry name, default 255 */
};
#define GW_XDM_READ_ENTRIES     1000
#define GW_XDM_READ_TOTAL       (200ULL << 20)
#define GW_XDM_READ_ENTRY       (40ULL << 20)
#define GW_XDM_READ_RATIO       100
#define GW_XDM_READ_RATIO_AFTER (1ULL << 20)
#define GW_XDM_READ_NAME        255

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

/* True if p starts with a ZIP local file header (PK\3\4). */
bool gw_xdm_is_zip(const void *p, size_t len);

/* One document of a package read by gw_xdm_read. Owned by the package. */
struct gw_xdm_file {
	char *id;        /* ExtrinsicObject/@id */
	char *mime_type; /* ExtrinsicObject/@mimeType */
	char *entry;     /* the ZIP entry its URI resolved to */
	char *data;      /* the bytes (NUL-terminated for convenience) */
	size_t len;
	char sha1[41]; /* of data, lowercase hex */
};

/* One IHE_XDM/<subset>/ folder. Owned by the package. */
struct gw_xdm_subset {
	char *dir;      /* "IHE_XDM/<subset>" as spelt in the ZIP */
	char *metadata; /* METADATA.XML, byte for byte (NUL-terminated) */
	size_t metadata_len;
	struct gw_xdm_file *docs; /* in ExtrinsicObject order */
	size_t ndocs;
};

struct gw_xdm_package {
	struct gw_xdm_subset *subsets; /* in ZIP entry order */
	size_t nsubsets;
	unsigned njunk; /* __MACOSX/, .DS_Store, ._* entries skipped */
};

/*
 * Read an XDM package received in a message from memory (zip[0..len),
 * borrowed; nothing is written to disk). Recognition is by content: the
 * bytes must be a ZIP that libzip opens and one entry's first component
 * must be IHE_XDM (any case), else GW_ENOTFOUND ("not XDM": the caller
 * may treat the bytes as an ordinary attachment). A recognised package
 * must then be safe and whole, or GW_EPARSE / GW_ELIMIT with err saying
 * which entry and why: every entry (macOS debris included) has a name of
 * at most max_name bytes, no control characters, not absolute, no
 * backslash, no "." or ".." component, no case-insensitive twin; is a
 * regular file or a directory (no symbolic links or devices in its Unix
 * external attributes), not encrypted; entry count, per-entry and total
 * uncompressed bytes and the per-entry compression ratio are bounded
 * while inflating, never taken from the headers. SPEC 5.4/5.5 leniency:
 * IHE_XDM and METADATA.XML match in any case (the Java RI writes
 * METADATA.xml); ISO 9660 naming, INDEX.HTM and README.TXT are not
 * required. Every IHE_XDM/<subset>/METADATA.XML is one subset; each of
 * its ExtrinsicObjects needs a mimeType and one single-valued URI slot
 * naming a file (relative to the METADATA.XML folder, matched in any
 * case); its size and hash slots, when present, must equal the bytes.
 * xlim bounds the metadata parse (may be NULL); lim may be NULL.
 * On success *out is a new package (gw_xdm_package_free). Thread-safe.
 */
int gw_xdm_read(const void *zip, size_t len, const struct gw_xdm_limits *lim,
		const struct gw_xds_limits *xlim, struct gw_xdm_package **out,
		struct gw_err *err);
void gw_xdm_package_free(struct gw_xdm_package *p);

#endif
