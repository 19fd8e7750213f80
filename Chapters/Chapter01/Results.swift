import Foundation

// book: details What --json FILE writes (Results.swift)

/// What `--json FILE` writes: the chapter's printed results, machine-readable.
struct Results: Encodable {
    struct Binary: Encodable {
        var scoreBefore, probabilityBefore, scoreAfter, probabilityAfter: Double
        var lossFirstEpoch, lossLastEpoch: Double
    }

    struct Softmax: Encodable {
        var lossFirstEpoch, lossLastEpoch, heldOutF1: Double
    }

    struct CoNLL: Encodable {
        var devF1, testF1: Double
        var devF1Independent, testF1Independent: Double
        var devPrecision, devRecall, testPrecision, testRecall: Double
        var testF1ByType: [String: Double]
        var epochs: Int
        var trainSeconds: Double
        var anchorWordLevelF1: Double
        var anchorSentenceLevelF1: Double
    }

    var windowDimension = 0
    var wordVectorDimension = 0
    var binary: Binary?
    var gradientCheckMaxRelativeError = 0.0
    var softmax: Softmax?
    var conll: CoNLL?
    var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case windowDimension = "window_dimension", wordVectorDimension = "word_vector_dimension"
        case binary, softmax, seconds
        case gradientCheckMaxRelativeError = "gradient_check_max_relative_error"
        case devF1 = "dev_f1", testF1 = "test_f1", conll
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(windowDimension, forKey: .windowDimension)
        try c.encode(wordVectorDimension, forKey: .wordVectorDimension)
        try c.encodeIfPresent(binary, forKey: .binary)
        try c.encode(gradientCheckMaxRelativeError, forKey: .gradientCheckMaxRelativeError)
        try c.encodeIfPresent(softmax, forKey: .softmax)
        try c.encodeIfPresent(conll, forKey: .conll)
        try c.encodeIfPresent(conll?.devF1, forKey: .devF1)
        try c.encodeIfPresent(conll?.testF1, forKey: .testF1)
        try c.encode(seconds, forKey: .seconds)
    }
}
