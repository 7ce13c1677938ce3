package dev.wschat.server;

import dev.wschat.server.history.HistoryOpenException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The resume-token key kept in the data directory when {@code --session-secret} is not given, so sessions survive a
 * restart of the node: made once (owner-only permissions), then read at every start.
 */
final class SessionSecretFile {
    /** The file's name in the data directory. */
    static final String NAME = "session-secret";
    private static final Logger LOG = LogManager.getLogger(SessionSecretFile.class);
    private static final int RANDOM_BYTES = 32;

    private SessionSecretFile() {
    }

    /**
     * The key in {@code dataDir}, made there first if there is none.
     *
     * @param dataDir the data directory, created if missing
     * @return the key, at least {@value SecurityOptions#MIN_SECRET_BYTES} bytes
     * @throws HistoryOpenException when the file cannot be read or written, or holds no usable key (naming it)
     */
    static String readOrCreate(Path dataDir) {
        Path file = dataDir.resolve(NAME);
        try {
            Files.createDirectories(dataDir);
            if (!Files.exists(file)) {
                create(dataDir, file);
            }
            String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (secret.getBytes(StandardCharsets.UTF_8).length < SecurityOptions.MIN_SECRET_BYTES) {
                throw new HistoryOpenException(file + " holds no usable resume-token key (at least "
                        + SecurityOptions.MIN_SECRET_BYTES + " bytes): delete it to make a new one (clients then "
                        + "start new sessions), or set --session-secret", null);
            }
            return secret;
        } catch (IOException e) {
            throw new HistoryOpenException("cannot keep the resume-token key in " + file + ": " + e, e);
        }
    }

    private static void create(Path dataDir, Path file) throws IOException {
        byte[] key = new byte[RANDOM_BYTES];
        new SecureRandom().nextBytes(key);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(key);
        Path temp;
        try {
            temp = Files.createTempFile(dataDir, NAME, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            temp = Files.createTempFile(dataDir, NAME, ".tmp");
        }
        try {
            Files.writeString(temp, secret + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file);
            }
            LOG.info("wschat made a resume-token key in {} (sessions survive a restart; nodes behind one balancer "
                    + "still need one shared --session-secret)", file);
        } catch (FileAlreadyExistsException raced) {
            // another process made it first: use that one
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
