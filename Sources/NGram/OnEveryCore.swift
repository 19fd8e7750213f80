import Dispatch

/// Runs `count` independent pieces of work side by side on the machine's cores and
/// returns their results in index order. Each piece must compute the same thing
/// whichever core runs it: then the result is the same as running them in turn.
func onEveryCore<T>(_ count: Int, _ work: @Sendable (Int) -> T) -> [T] {
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer { _ = results.deinitialize(); results.deallocate() }
    let base = UInt(bitPattern: results.baseAddress)
    DispatchQueue.concurrentPerform(iterations: count) { i in
        // each index writes its own slot only
        UnsafeMutablePointer<T?>(bitPattern: base)!.advanced(by: i).pointee = work(i)
    }
    return results.map { $0! }
}
