/* The --info summary. */
#ifndef UNPACK_INFO_H
#define UNPACK_INFO_H

#include <stdint.h>

struct record_sink;

/* "ROOT_TREE", "FS_TREE", ... for well-known tree ids, else the decimal id (static buffer). */
const char *tree_name(uint64_t owner);
void info_print(struct record_sink *s);

#endif
