/**
 * JMH micro-benchmarks of the server's hot path; run with {@code java -jar jmh/target/wschat-jmh.jar}.
 * The room fast path's benchmark sits in {@code dev.wschat.server.chat}, next to the package-private code it reaches.
 */
package dev.wschat.jmh;
