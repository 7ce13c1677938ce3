package dev.wschat.bench;

import dev.wschat.protocol.Dialect;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The option lines the scripts and docs use parse as before, with their defaults. */
class BenchOptionsTest {

    private static Object command(String... args) {
        ParseResult r = Bench.commandLine().parseArgs(args);
        return r.subcommand().commandSpec().userObject();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Bench.FanoutCommand f = (Bench.FanoutCommand) command("fanout");
        assertThat(f.common.url).isEqualTo("ws://127.0.0.1:8080/");
        assertThat(f.common.dialect).isEqualTo(Dialect.V2);
        assertThat(f.load.clients).isEqualTo(1_000);
        assertThat(f.load.rate).isEqualTo(50_000);
        assertThat(f.load.maxPending).isEqualTo(500);
        assertThat(f.load.maxSteps).isEqualTo(30);
        assertThat(f.load.stepRetries).as("a ramp ends at its first failed step unless told").isZero();
        Bench.ConnectionsCommand c = (Bench.ConnectionsCommand) command("connections");
        assertThat(c.rate).isEqualTo(2_000);
        assertThat(c.maxPending).isEqualTo(1_000);
        assertThat(c.hold).isEqualTo(5);
    }

    @Test
    void aLaterOptionWinsAndNumbersMayCarrySeparators() {
        Bench.RampCommand r = (Bench.RampCommand) command("ramp", "--dialect", "1", "--quiet=1", "--start",
                "40_000", "--max-steps", "12", "--max-steps", "40", "--clients", "1,000", "--step-retries", "2");
        assertThat(r.common.dialect).isEqualTo(Dialect.TUTORIAL);
        assertThat(r.common.quiet).isEqualTo(1);
        assertThat(r.load.start).isEqualTo(40_000);
        assertThat(r.load.maxSteps).isEqualTo(40);
        assertThat(r.load.stepRetries).isEqualTo(2);
        assertThat(r.load.clients).isEqualTo(1_000);
    }

    @Test
    void aBadOptionExitsWithTwoAndNamesIt() {
        CommandLine cl = Bench.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("fanout", "--rate", "fast")).isEqualTo(2);
        assertThat(err.toString()).contains("--rate");
        assertThat(cl.execute("connections", "--no-such")).isEqualTo(2);
    }

    @Test
    void resumeAndSeveralUrlsParse() {
        Bench.FanoutCommand f = (Bench.FanoutCommand) command("fanout", "--resume", "0.1", "--resume-every", "3",
                "--resume-gap-ms", "50", "--url", "ws://127.0.0.1:1/, ws://127.0.0.2:2/chat");
        assertThat(f.load.resume).isEqualTo(0.1);
        assertThat(f.load.resumeEvery).isEqualTo(3.0);
        assertThat(f.load.resumeGapMs).isEqualTo(50);
        assertThat(f.common.uris()).extracting(java.net.URI::toString)
                .containsExactly("ws://127.0.0.1:1/", "ws://127.0.0.2:2/chat");
        Bench.FanoutCommand d = (Bench.FanoutCommand) command("fanout");
        assertThat(d.load.resume).isZero();
        assertThat(d.load.resumeEvery).isEqualTo(2.0);
        assertThat(d.load.resumeGapMs).isEqualTo(200);
        // a later --url wins, as every option does: scripts put their defaults first
        Bench.FanoutCommand later = (Bench.FanoutCommand) command("fanout", "--url", "ws://127.0.0.1:1/",
                "--url", "ws://127.0.0.1:2/");
        assertThat(later.common.uris()).extracting(java.net.URI::getPort).containsExactly(2);
    }

    @Test
    void badResumeAndUrlOptionsExitWithTwoAndSayWhy() {
        for (String[] args : List.of(new String[] {"fanout", "--resume", "1.5"},
                new String[] {"fanout", "--resume", "0.1", "--dialect", "1"},
                new String[] {"fanout", "--resume", "0.1", "--resume-every", "0"},
                new String[] {"fanout", "--url", "ws://127.0.0.1:1/,ws://example.com:2/"},
                new String[] {"fanout", "--url", ","})) {
            CommandLine cl = Bench.commandLine();
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err));
            assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", args)).containsAnyOf("--resume", "--url");
        }
    }

    @Test
    void aMarkerOfAnotherRunIsNotThisRuns() {
        assertThat(Resumer.marker("xx#B42:3:17:123456#", 42)).containsExactly(3, 17);
        assertThat(Resumer.marker("xx#B41:3:17:123456#", 42)).isNull();
        assertThat(Resumer.marker("#B3:17:123456#", 42)).isNull();
        assertThat(Resumer.marker("hello", 42)).isNull();
    }

    @Test
    void helpListsTheScenarios() {
        StringWriter out = new StringWriter();
        CommandLine cl = Bench.commandLine();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("--help")).isZero();
        assertThat(out.toString()).contains("connections", "fanout", "ramp", "churn", "compare");
    }

    @Test
    void wireAndCpuPidsParse() {
        Bench.FanoutCommand d = (Bench.FanoutCommand) command("fanout");
        assertThat(d.load.wire).isEqualTo(Wire.WSCHAT);
        assertThat(d.load.cpuPids).isEmpty();
        Bench.RampCommand r = (Bench.RampCommand) command("ramp", "--wire", "socketio", "--cpu-pid", "node-1=123",
                "--cpu-pid", "redis=456");
        assertThat(r.load.wire).isEqualTo(Wire.SOCKETIO);
        assertThat(r.load.cpuPids).containsExactly(java.util.Map.entry("node-1", 123L), java.util.Map.entry("redis", 456L));
    }
}
