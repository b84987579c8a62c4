/* hm: hm-exec: OCI image layouts and archives, unpacked once into a root file system. */
#ifndef HM_EXEC_OCI_H
#define HM_EXEC_OCI_H

/*
 * An OCI image layout (a directory with oci-layout, index.json and
 * blobs/) or an archive of one (a tar file) holds an image as layers.
 * hm-exec runs images as root file systems: oci_rootfs unpacks the
 * image's layers in order into STORE/images/DIGEST/rootfs (whiteouts
 * delete what lower layers had, opaque directories empty theirs), once;
 * later runs find it there by the manifest's digest.
 *
 * Every blob read is checked first: its size and sha256 must be the ones
 * its descriptor names (a nested index when it is read, the manifest
 * and all of its layers before the first is unpacked). A layer's member
 * names must stay inside the root file system (no absolute names, no
 * ".."), and a layer is extracted into a directory of its own, then
 * merged into the root without following any link, so a symbolic link
 * of an earlier layer cannot send a later layer's file elsewhere.
 *
 * tag selects the manifest whose org.opencontainers.image.ref.name is
 * tag; NULL takes the only one. An image index is followed to the
 * manifest for this machine's architecture (linux).
 *
 * What is unpacked lives in the store and is evicted with its cache
 * (store_evict); a run holds what it uses (store_hold) so that no
 * eviction removes it meanwhile.
 */
struct oci_image {
	char *rootfs;		/* the root file system (malloc'd) */
	char *digest;		/* the manifest's, "sha256:HEX" (malloc'd) */
	int hold;		/* store_hold of its directory: close it
				   when the run is done with the image */
};

/* 0 with *img filled, or -1 with *msg (malloc'd). */
int oci_rootfs(const char *layout, const char *tag, const char *store,
    struct oci_image *img, char **msg);

/* Whether dir is an OCI image layout (it has an oci-layout file). */
int oci_is_layout(const char *dir);

/*
 * An archive of a layout, extracted once into STORE/images/archive-HASH
 * (by its path, size and time; member names checked as a layer's); the
 * layout's path (malloc'd) and *hold (close it when done), or NULL with
 * *msg.
 */
char *oci_extract(const char *archive, const char *store, int *hold,
    char **msg);

/*
 * What an unpacked root file system is, for cache keys: the sha256 of
 * its real path and, for every file under it (names sorted, links not
 * followed), its path, mode, owner, size and modification time; no file
 * is read, so it is cheap next to what it stands for, and any change
 * made by the usual tools (which set times) changes it. 64 hex digits
 * (malloc'd), or NULL with *msg.
 */
char *oci_dir_id(const char *rootfs, char **msg);

#endif
