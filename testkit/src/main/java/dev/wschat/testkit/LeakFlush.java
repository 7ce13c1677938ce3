package dev.wschat.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;

/** Allocations that make Netty's buffer leak detector poll its queue (it does so on each tracked allocation). */
final class LeakFlush {
    private LeakFlush() {
    }

    static void allocate() {
        for (int i = 0; i < 64; i++) {
            ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.buffer(8);
            unpooled.release();
            ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(8);
            pooled.release();
        }
    }
}
