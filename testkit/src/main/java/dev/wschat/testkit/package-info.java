/**
 * Test support that every module shares, on each module's test class path only: the leak check
 * ({@link dev.wschat.testkit.LeakSessionListener} installs {@link dev.wschat.testkit.LeakRecorder} before Netty's
 * buffers load, {@link dev.wschat.testkit.LeakCheck} fails the test class after which a buffer leaked; both are
 * registered in this jar's {@code META-INF/services}) and {@link dev.wschat.testkit.FuzzInputs} (the normal run's
 * mutations of a fuzz test's corpus).
 */
package dev.wschat.testkit;
