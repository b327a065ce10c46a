/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: the harness instantiates nothing; the shim of
 * <linux/tracepoint.h> already made every trace_<name>() an inline.
 */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
