/**
 * Where the built-in ASN database and its licence live, relative to the
 * package root (read with packageFile). A module of its own so the program
 * (and the Debian package's bundle) never loads the build script, which runs
 * itself when started as a program.
 */
export const ASN_DB = 'data/asn.mmdb';
export const ASN_LICENSE = 'data/ASN-LICENSE';
