/* hm: hm-exec: OCI image layouts and archives, unpacked once into a root file system. */
#ifndef HM_EXEC_OCI_H
#define HM_EXEC_OCI_H

/*
 * An OCI image layout (a directory with oci-layout, index.json and
 * blobs/) or an archive of one (a tar file) holds an image as layers.
 * hm-exec runs images as root file systems: oci_rootfs unpacks the
 * image's layers in order into cache/images/DIGEST/rootfs (whiteouts
 * delete what lower layers had, opaque directories empty theirs), once;
 * later runs find it there by the manifest's digest.
 *
 * tag selects the manifest whose org.opencontainers.image.ref.name is
 * tag; NULL takes the only one. An image index is followed to the
 * manifest for this machine's architecture (linux).
 *
 * Returns the root file system's path (malloc'd), or NULL with *msg
 * (malloc'd).
 */
char *oci_rootfs(const char *layout, const char *tag, const char *cache,
    char **msg);

/* Whether dir is an OCI image layout (it has an oci-layout file). */
int oci_is_layout(const char *dir);

/*
 * An archive of a layout, extracted once into cache/images/archive-HASH
 * (by its path, size and time); the layout's path (malloc'd), or NULL
 * with *msg.
 */
char *oci_extract(const char *archive, const char *cache, char **msg);

#endif
