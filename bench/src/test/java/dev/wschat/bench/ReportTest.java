package dev.wschat.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The figures a user reads: per-connection memory only when it can be trusted, and axis labels that differ. */
class ReportTest {

    @Test
    void memoryPerConnectionIsTheGrowthPerConnection() {
        assertThat(Report.perConnection("resident memory", 100_000_000L, 120_000_000L, 2_000)).isEqualTo(10_000.0);
        assertThat(Report.perConnection("heap", 5_000, 5_000, 10)).isEqualTo(0.0);
    }

    /** Regression: compare.sh printed server_rss_per_connection_bytes -464,850.94 after a ramp on the same server. */
    @Test
    void memoryThatFellWhileConnectionsOpenedIsNotAvailableWithTheReason() {
        Object v = Report.perConnection("resident memory", 1_200_000_000L, 270_000_000L, 2_000);
        assertThat(v).isInstanceOf(String.class);
        assertThat((String) v).startsWith("n/a: resident memory fell by 930,000,000 bytes")
                .contains("measure on a fresh server");
        assertThat((String) Report.perConnection("heap", -1, 10, 5)).isEqualTo("n/a: heap could not be read");
        assertThat((String) Report.perConnection("heap", 1, 10, 0)).isEqualTo("n/a: no connection was open");
    }

    @Test
    void compareShowsNotAvailableInsteadOfANumberAndARatio() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Object na = Report.perConnection("resident memory", 1_200_000_000L, 270_000_000L, 2_000);
        Compare.row(out, "server_rss_per_connection_bytes", 1_731.5, na);
        Compare.row(out, "handshakes_per_sec", 1_000.0, 2_500.0);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("1,731.50").contains("n/a").contains("    candidate n/a: resident memory fell by")
                .doesNotContain("-464").contains("2.50x");
        assertThat(text.lines().filter(l -> l.startsWith("server_rss_per_connection_bytes")).findFirst().orElseThrow())
                .endsWith("n/a");
    }

    /** Regression: 1.5k read "2k", so one axis showed "2k" twice. */
    @Test
    void axisLabelsKeepTheDigitsThatTellTicksApart() {
        assertThat(Report.label(1_500)).isEqualTo("1.5k");
        assertThat(Report.label(2_000)).isEqualTo("2k");
        assertThat(Report.label(633_000)).isEqualTo("633k");
        assertThat(Report.label(1_250_000)).isEqualTo("1.25M");
        assertThat(Report.label(0)).isEqualTo("0");
        assertThat(Report.label(0.25)).isEqualTo("0.25");
        assertThat(Report.label(62.5)).isEqualTo("62.5");
        for (double hi : new double[] {1_000, 2_000, 2_500, 5_000, 10_000, 25_000, 2_500_000}) {
            List<String> ticks = new ArrayList<>();
            for (int i = 0; i <= 4; i++) {
                ticks.add(Report.label(hi * i / 4));
            }
            assertThat(ticks).as("ticks up to %s", hi).doesNotHaveDuplicates();
        }
    }
}
