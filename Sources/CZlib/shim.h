#ifndef PADDOCK_CZLIB_SHIM_H
#define PADDOCK_CZLIB_SHIM_H
#include <zlib.h>
#endif
