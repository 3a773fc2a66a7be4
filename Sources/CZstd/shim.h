#ifndef PADDOCK_CZSTD_SHIM_H
#define PADDOCK_CZSTD_SHIM_H
#include <zstd.h>
#endif
