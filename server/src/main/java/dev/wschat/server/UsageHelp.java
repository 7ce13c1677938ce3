package dev.wschat.server;

import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Arrays;

/**
 * The {@code --help} text: picocli's, by section with each option's default, and under it the environment
 * variables that set the option ({@link ConfigSources#envNames}), so the help is the whole option reference.
 */
final class UsageHelp implements CommandLine.IHelpFactory {
    @Override
    public Help create(CommandSpec spec, Help.ColorScheme colors) {
        return new Help(spec, colors) {
            @Override
            public Help.IOptionRenderer createDefaultOptionRenderer() {
                Help.IOptionRenderer picocli = super.createDefaultOptionRenderer();
                return (option, labels, scheme) -> withEnvironment(picocli.render(option, labels, scheme), option,
                        scheme);
            }
        };
    }

    private static Text[][] withEnvironment(Text[][] rows, OptionSpec option, Help.ColorScheme scheme) {
        if (option.usageHelp() || option.versionHelp() || rows.length == 0) {
            return rows;
        }
        Text[][] more = Arrays.copyOf(rows, rows.length + 1);
        Text[] row = new Text[rows[0].length];
        Arrays.fill(row, scheme.text(""));
        row[row.length - 1] = scheme.text("  Env: " + String.join(", ",
                ConfigSources.envNames(option.longestName())));
        more[rows.length] = row;
        return more;
    }
}
