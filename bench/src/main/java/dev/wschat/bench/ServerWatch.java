package dev.wschat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the server's process and its listening socket from {@code /proc}: from {@code --server-pid-file}
 * (re-read each time), else {@code --server-pid} while it lives, else the process holding the listening socket
 * of the port. A restart shows as a new listening socket (another inode).
 */
final class ServerWatch {
    private final int port;
    private final long givenPid;
    private final String pidFile;
    private long cachedPid;
    private long rememberedInode = -1;
    private final List<Long> pids = new ArrayList<>();

    ServerWatch(int port, long givenPid, String pidFile) {
        this.port = port;
        this.givenPid = givenPid;
        this.pidFile = pidFile;
    }

    /** The server's pid now, or 0 when it cannot be found. */
    long pid() {
        long pid = 0;
        if (pidFile != null) {
            try {
                pid = Long.parseLong(Files.readString(Path.of(pidFile)).trim());
            } catch (IOException | NumberFormatException e) {
                pid = 0;
            }
        } else if (givenPid > 0 && alive(givenPid)) {
            pid = givenPid;
        } else if (cachedPid > 0 && alive(cachedPid) && holds(cachedPid, listenInode())) {
            pid = cachedPid;
        } else {
            pid = ownerOf(listenInode());
            cachedPid = pid;
        }
        if (pid > 0 && !pids.contains(pid)) {
            pids.add(pid);
        }
        return pid;
    }

    List<Long> pids() {
        return List.copyOf(pids);
    }

    void rememberListener() {
        rememberedInode = listenInode();
    }

    /** Whether a listening socket other than the one {@link #rememberListener} saw is there. */
    boolean listeningAgain() {
        long inode = listenInode();
        return inode > 0 && inode != rememberedInode;
    }

    private static boolean alive(long pid) {
        return Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    /** The inode of the socket listening on the port (IPv4 or IPv6), or -1. */
    long listenInode() {
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !"0A".equals(f[3])) {
                        continue;
                    }
                    String local = f[1];
                    int colon = local.lastIndexOf(':');
                    if (colon > 0 && Integer.parseInt(local.substring(colon + 1), 16) == port) {
                        return Long.parseLong(f[9]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table (no IPv6), or not Linux
            }
        }
        return -1;
    }

    private static boolean holds(long pid, long inode) {
        if (inode <= 0) {
            return false;
        }
        String want = "socket:[" + inode + "]";
        try (var fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (want.equals(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    private static long ownerOf(long inode) {
        if (inode <= 0) {
            return 0;
        }
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (holds(pid, inode)) {
                    return pid;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
