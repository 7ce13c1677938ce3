package dev.wschat.server.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the real programs (Debian packages) and the project's {@code deploy/} files are, for the harnesses. */
final class Installed {
    private Installed() {
    }

    /** A file of {@code deploy/}, found from the server module or the repository root. */
    static Path deployFile(String name) {
        for (Path candidate : List.of(Path.of("..", "deploy", name), Path.of("deploy", name))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("deploy/" + name + " not found from " + Path.of("").toAbsolutePath());
    }

    /** The first executable of {@code program} in the usual directories; names the package when there is none. */
    static String binary(String program) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(program + " is not installed (scripts/test.sh installs its Debian package)");
    }
}
