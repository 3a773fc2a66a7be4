#ifndef PADDOCK_CLZ4_SHIM_H
#define PADDOCK_CLZ4_SHIM_H
#include <lz4frame.h>
#endif
