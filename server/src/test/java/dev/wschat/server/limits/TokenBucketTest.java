package dev.wschat.server.limits;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenBucketTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void admitsTheBurstThenRefillsAtTheRate() {
        TokenBucket bucket = new TokenBucket(20, 40, 0);
        for (int i = 0; i < 40; i++) {
            assertThat(bucket.tryAcquire(0)).isTrue();
        }
        assertThat(bucket.tryAcquire(0)).isFalse();
        assertThat(bucket.millisUntilAvailable(0)).isEqualTo(50);
        assertThat(bucket.tryAcquire(SECOND / 20 - 1)).isFalse();
        assertThat(bucket.tryAcquire(SECOND / 20)).isTrue();
        assertThat(bucket.isFull(SECOND / 20)).isFalse();
        assertThat(bucket.isFull(10 * SECOND)).isTrue();
    }

    @Test
    void neverHoldsMoreThanTheBurst() {
        TokenBucket bucket = new TokenBucket(1_000, 3, 0);
        long later = 60 * SECOND;
        int admitted = 0;
        while (bucket.tryAcquire(later)) {
            admitted++;
        }
        assertThat(admitted).isEqualTo(3);
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new TokenBucket(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
