/* The --info summary. */
#ifndef UNPACK_INFO_H
#define UNPACK_INFO_H

#include <stdint.h>

struct record_sink;

void info_print(struct record_sink *s);

#endif
