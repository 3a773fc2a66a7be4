import TestSupport

extension Xoshiro256StarStar {
    /// When a write handed to a simulated disk at `now` is durable: a random fsync time (with
    /// probability `slowPerMille` a slow one), never before `previous`, the disk's last write
    /// (a disk completes writes in order).
    mutating func diskCompletion(
        now: Int64, after previous: Int64, fast: ClosedRange<Int64>, slow: ClosedRange<Int64>, slowPerMille: Int
    ) -> Int64 {
        let isSlow = chance(perMille: slowPerMille)
        return max(now + Int64.random(in: isSlow ? slow : fast, using: &self), previous)
    }
}
