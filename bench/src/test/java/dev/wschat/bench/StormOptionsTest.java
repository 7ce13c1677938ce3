package dev.wschat.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The storm's options: its own defaults, the population's shared with the fan-out scenarios, nothing of theirs. */
class StormOptionsTest {

    private static Bench.StormCommand storm(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "storm";
        System.arraycopy(args, 0, all, 1, args.length);
        ParseResult r = Bench.commandLine().parseArgs(all);
        return (Bench.StormCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void defaultsAreTheStormsOwn() {
        StormOptions o = storm().storm;
        assertThat(o.clients).isEqualTo(1_000);
        assertThat(o.rooms).isEqualTo(100);
        assertThat(o.roomsPerClient).isEqualTo(3);
        assertThat(o.senders).isEqualTo(20);
        assertThat(o.rate).isEqualTo(200);
        assertThat(o.warmup).isEqualTo(5);
        assertThat(o.drainSeconds).isEqualTo(10);
        assertThat(o.connectRate).isEqualTo(5_000);
        assertThat(o.maxPending).isEqualTo(500);
        assertThat(o.setupTimeout).isEqualTo(300);
        assertThat(o.mode).isEqualTo("blip");
        assertThat(o.catchUp).isEqualTo("join");
        assertThat(o.restarts()).isFalse();
    }

    @Test
    void theSharedOptionsParseIntoTheStorm() {
        StormOptions o = storm("--clients", "2,000", "--connect-rate", "100", "--max-pending", "7",
                "--setup-timeout", "9", "--warmup", "1", "--mode", "restart", "--restart-cmd", "true").storm;
        assertThat(o.clients).isEqualTo(2_000);
        assertThat(o.connectRate).isEqualTo(100);
        assertThat(o.maxPending).isEqualTo(7);
        assertThat(o.setupTimeout).isEqualTo(9);
        assertThat(o.warmup).isEqualTo(1);
        assertThat(o.restarts()).isTrue();
    }

    @Test
    void theFanoutsOwnOptionsAreNotTheStorms() {
        CommandLine cl = Bench.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("storm", "--ack")).isEqualTo(2);
        assertThat(err.toString()).contains("--ack");
    }

    @Test
    void contradictoryOptionsExitWithTwoAndNameThem() {
        CommandLine cl = Bench.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("storm", "--mode", "restart")).isEqualTo(2);
        assertThat(err.toString()).contains("--restart-cmd");
    }
}
