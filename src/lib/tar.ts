/**
 * A small tar reader and writer (POSIX ustar with pax headers for long names). Small archives
 * (certificates, buildpacks, the stack's runtimes) are read whole; sources, which can be large,
 * are streamed through TarParser entry by entry, their contents chunk by chunk (see source.ts).
 */
export { dir, file, symlink, type RawHeader, type TarEntry, type TarEntryType } from './tar-entry.ts';
export { entryBytes, headerBytes, paddingFor, TAR_END, writeTar } from './tar-write.ts';
export { isGzip, normalizePath, readTar, TarParser, type TarParserHandlers } from './tar-read.ts';
