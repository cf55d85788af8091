# Makes a deployable pack directory: the manifest with the library's
# checksum added. cmake -DMANIFEST=src/pack.yaml -DLIBRARY=dir/x.so
# -DOUT=dir/pack.yaml -P pack_dir.cmake
file(READ ${MANIFEST} text)
file(SHA256 ${LIBRARY} sum)
file(WRITE ${OUT} "${text}checksum: sha256:${sum}\n")
