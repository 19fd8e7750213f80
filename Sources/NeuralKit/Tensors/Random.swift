/// The one source of randomness: a seeded xoshiro256** generator, passed explicitly.
///
/// The same seed gives the same stream of numbers on every machine and Swift version
/// (nothing here calls the standard library's unspecified shuffling or sampling).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var stateWords: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds the four words of state with SplitMix64, as the xoshiro authors recommend.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        stateWords = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The four words of state, for checkpoints: ``init(state:)`` continues the same stream.
    public var state: [UInt64] { [stateWords.0, stateWords.1, stateWords.2, stateWords.3] }

    /// A generator that continues from a saved ``state`` (four words).
    public init(state words: [UInt64]) {
        precondition(words.count == 4, "SeededGenerator(state:) takes 4 words, got \(words.count)")
        stateWords = (words[0], words[1], words[2], words[3])
    }

    /// Sets the raw state (for checking against the reference implementation's output).
    mutating func setStateForTesting(_ s: (UInt64, UInt64, UInt64, UInt64)) { stateWords = s }

    public mutating func next() -> UInt64 {
        let result = rotate(stateWords.1 &* 5, 7) &* 9
        let t = stateWords.1 << 17
        stateWords.2 ^= stateWords.0
        stateWords.3 ^= stateWords.1
        stateWords.1 ^= stateWords.2
        stateWords.0 ^= stateWords.3
        stateWords.2 ^= t
        stateWords.3 = rotate(stateWords.3, 45)
        return result
    }

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform double in [0, 1), from the top 53 bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform integer in 0..<bound (Lemire's multiply-and-reject, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniform double in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnit()
    }

    /// A standard normal sample (Box-Muller; one of the pair is used), with NeuralKit's own
    /// log and cos, so the same seed draws the same bits on every machine.
    public mutating func normal() -> Double {
        let u1 = 1.0 - nextUnit()  // in (0, 1], so the log is finite
        let u2 = nextUnit()
        return (-2.0 * ExactMath.log(u1)).squareRoot() * ExactMath.cosTurns(u2)
    }

    /// Shuffles in place with Fisher-Yates.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// An index drawn with the given (non-negative, not necessarily normalized) weights.
    public mutating func categorical<S: BinaryFloatingPoint>(_ weights: [S]) -> Int {
        let total = weights.reduce(0.0) { $0 + Double($1) }
        precondition(total > 0, "categorical needs a positive total weight")
        var target = nextUnit() * total
        for (i, w) in weights.enumerated() {
            target -= Double(w)
            if target < 0 { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? weights.count - 1
    }
}

extension Tensor {
    /// Uniform values in [-bound, bound]. (A plain loop, specialized: initializing a
    /// 10,000 × 200 table through a generic `map` took longer than a training window.)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func uniform(
        _ shape: [Int], bound: Double, using generator: inout SeededGenerator
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var scalars = [Scalar](repeating: 0, count: n)
        for i in 0..<n { scalars[i] = Scalar(generator.uniform(-bound...bound)) }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Normal values with mean 0 and the given standard deviation.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func normal(
        _ shape: [Int], standardDeviation: Double, using generator: inout SeededGenerator
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var scalars = [Scalar](repeating: 0, count: n)
        for i in 0..<n { scalars[i] = Scalar(standardDeviation * generator.normal()) }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Glorot/Xavier uniform initialization for a (fanOut × fanIn) weight matrix.
    public static func glorot(
        _ shape: [Int], using generator: inout SeededGenerator
    ) -> Tensor {
        precondition(shape.count == 2, "glorot expects a matrix shape, got \(shape)")
        let bound = (6.0 / Double(shape[0] + shape[1])).squareRoot()
        return uniform(shape, bound: bound, using: &generator)
    }
}

import Foundation
