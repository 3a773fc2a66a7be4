/// `paddock shell`: commands and rendering, testable without a terminal.
public enum PaddockShellModule {}
