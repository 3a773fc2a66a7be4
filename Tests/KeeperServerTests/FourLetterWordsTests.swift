import Foundation
import Testing

@testable import KeeperServer

@Suite struct FourLetterWordsTests {
    /// An unlimited descriptor limit (RLIM_INFINITY, all bits set) used to trap the member answering mntr.
    @Test func unlimitedDescriptorLimitDoesNotTrap() {
        #expect(FourLetterWords.descriptorLimit(rlim_t.max) == Int.max)
        #expect(FourLetterWords.descriptorLimit(1024) == 1024)
    }
}
