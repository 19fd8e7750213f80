/// Word features shared by the NER models (Chapter 1's window classifier, Chapter 9's
/// recurrent taggers).

/// How a word is written: the capitalization feature.
public enum Capitalization: Int, CaseIterable, Sendable {
    case lower, initialUpper, allUpper, mixed, noLetters, padding

    public init(_ word: String) {
        let letters = word.filter(\.isLetter)
        if letters.isEmpty { self = .noLetters }
        else if letters.allSatisfy(\.isLowercase) { self = .lower }
        else if letters.allSatisfy(\.isUppercase) { self = letters.count > 1 ? .allUpper : .initialUpper }
        else if word.first!.isUppercase && letters.dropFirst().allSatisfy(\.isLowercase) { self = .initialUpper }
        else { self = .mixed }
    }
}

/// A word as the NER models look it up: lower case, every digit written as 0, so that
/// "Paris" and "PARIS" share a vector, and so do "1996" and "2024".
public func normalizedWord(_ word: String) -> String {
    String(word.lowercased().map { $0.isNumber ? "0" : $0 })
}
