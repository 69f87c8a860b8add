/* The --info summary. */
#ifndef BIMG_UNPACK_INFO_H
#define BIMG_UNPACK_INFO_H

#include <stdint.h>

struct record_sink;

void info_print(struct record_sink *s);

#endif
