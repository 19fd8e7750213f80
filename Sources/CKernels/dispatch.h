/* Which CPU-specific paths this build has, and the levels a run can choose among.
   CK_NO_AVX512 (NEURALKIT_NO_AVX512=1 when building the package) compiles the AVX-512
   paths out; off x86-64 only the portable C is built. */
#ifndef CKERNELS_DISPATCH_H
#define CKERNELS_DISPATCH_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define CK_HAS_X86_PATHS 1
#define CK_IF_X86(code) code
#if !defined(CK_NO_AVX512)
#define CK_HAS_AVX512 1
#define CK_IF_AVX512(code) code
#endif
#endif

#ifndef CK_HAS_X86_PATHS
#define CK_HAS_X86_PATHS 0
#define CK_IF_X86(code)
#endif
#ifndef CK_HAS_AVX512
#define CK_HAS_AVX512 0
#define CK_IF_AVX512(code)
#endif

/* Calls NAME##_avx512, NAME##_avx2 or NAME##_portable with ARGS (a parenthesized
   argument list): the widest that `level` allows and this build has. */
#define CK_DISPATCH(level, NAME, ARGS)                                                       \
    do {                                                                                     \
        if (CK_HAS_AVX512 && (level) >= CK_LEVEL_AVX512) { CK_IF_AVX512(NAME##_avx512 ARGS; break;) } \
        if (CK_HAS_X86_PATHS && (level) >= CK_LEVEL_AVX2) { CK_IF_X86(NAME##_avx2 ARGS; break;) }     \
        NAME##_portable ARGS;                                                                \
    } while (0)

#endif
