package dev.wschat.bench;

/** The load generator's entry point; its scenarios are added by the bench issue. */
public final class Bench {
    private Bench() {
    }

    /**
     * Prints usage.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.out.println("Usage: java -jar bench/target/wschat-bench.jar SCENARIO [options]");
    }
}
