/// exp, log, tanh and cos written out, in a fixed order of IEEE operations with no fused
/// multiply-add, so their bits are the same on every machine. The C libraries' versions
/// (glibc picks an FMA variant on CPUs that have it; Apple's libm is another code base)
/// may differ in the last bit, and training turns a last bit into a different run.
/// Accuracy: within a few ulp of the true value (tested against the C library).
public enum ExactMath {
    // ln 2 split so that k · ln2Hi is exact for |k| < 2^11 (fdlibm's constants).
    static let ln2Hi = 6.931_471_803_691_238_164_90e-01
    static let ln2Lo = 1.908_214_929_270_587_700_02e-10
    static let log2e = 1.442_695_040_888_963_387_00

    /// e^x in Double: x = k ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to
    /// degree 13 (truncation below 2^-57), then scaled by 2^k.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782_712_893_384 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x * log2e).rounded(.toNearestOrEven)
        let r = (x - k * ln2Hi) - k * ln2Lo
        var p = 1.0 / 6_227_020_800  // 1/13!
        p = p * r + 1.0 / 479_001_600
        p = p * r + 1.0 / 39_916_800
        p = p * r + 1.0 / 3_628_800
        p = p * r + 1.0 / 362_880
        p = p * r + 1.0 / 40_320
        p = p * r + 1.0 / 5_040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        return scaled(p, Int(k))
    }

    /// m · 2^k, exactly (rounded once where the result is subnormal).
    @inline(__always)
    static func scaled(_ m: Double, _ k: Int) -> Double {
        if k > 1000 { return m * 0x1p1000 * Double(sign: .plus, exponent: k - 1000, significand: 1) }
        if k < -1000 { return m * 0x1p-1000 * Double(sign: .plus, exponent: k + 1000, significand: 1) }
        return m * Double(sign: .plus, exponent: k, significand: 1)
    }

    /// ln x in Double: x = 2^e · m with √½ ≤ m < √2, ln m = 2 atanh(s), s = (m − 1)/(m + 1),
    /// by its series in s² to s²⁵ (|s| ≤ 0.172: truncation below 2^-60).
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var e = Double(Int(x.exponent))
        var m = x.significand  // in [1, 2)
        if m > 1.414_213_562_373_095_1 { m *= 0.5; e += 1 }
        let s = (m - 1) / (m + 1)
        let z = s * s
        var p = 1.0 / 25
        p = p * z + 1.0 / 23
        p = p * z + 1.0 / 21
        p = p * z + 1.0 / 19
        p = p * z + 1.0 / 17
        p = p * z + 1.0 / 15
        p = p * z + 1.0 / 13
        p = p * z + 1.0 / 11
        p = p * z + 1.0 / 9
        p = p * z + 1.0 / 7
        p = p * z + 1.0 / 5
        p = p * z + 1.0 / 3
        let logM = 2 * s + 2 * s * z * p
        return e * ln2Hi + (logM + e * ln2Lo)
    }

    /// tanh x in Double: (e^{2|x|} − 1)/(e^{2|x|} + 1) with e^u − 1 by its Taylor series
    /// below |x| = 0.55 (no cancellation), 1 − 2/(e^{2|x|} + 1) above; the sign put back.
    public static func tanh(_ x: Double) -> Double {
        if x.isNaN { return x }
        let a = Swift.abs(x)
        let t: Double
        if a > 22 {
            t = 1
        } else if a < 0.55 {
            let u = 2 * a
            var p = inverseFactorials[21]
            var n = 20.0
            while n >= 2 { p = p * u + inverseFactorials[Int(n)]; n -= 1 }
            let em1 = u * (p * u + 1)  // e^u − 1
            t = em1 / (em1 + 2)
        } else {
            t = 1 - 2 / (exp(2 * a) + 1)
        }
        return x < 0 ? -t : t
    }

    /// 1/n! for n = 0 … 21 (n! is exact in Double up to 22!).
    private static let inverseFactorials: [Double] = {
        var f = 1.0
        return (0...21).map { n in
            if n > 1 { f *= Double(n) }
            return 1 / f
        }
    }()

    /// cos(2π u), for the Box–Muller transform: u in quarter turns q = 4u, the nearest
    /// quarter k, and the rest f = q − k (exact) as the angle a = f π/2 in [−π/4, π/4];
    /// sin a and cos a by their Taylor series to degree 17 and 18.
    public static func cosTurns(_ u: Double) -> Double {
        let q = u * 4
        let k = q.rounded(.toNearestOrEven)
        let a = (q - k) * (Double.pi / 2)
        let z = a * a
        var c = inverseFactorials[18], s = inverseFactorials[17]
        var n = 16.0
        while n >= 2 {
            c = -c * z + inverseFactorials[Int(n)]  // 1/16!, …, 1/2!, alternating
            s = -s * z + inverseFactorials[Int(n) - 1]  // 1/15!, …, 1/1!
            n -= 2
        }
        c = -c * z + 1
        s = s * a
        switch ((Int(k) % 4) + 4) % 4 {
        case 0: return c
        case 1: return -s
        case 2: return -c
        default: return s
        }
    }
}
