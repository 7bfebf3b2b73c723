package org.safenet.dns.resolver.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.upstream.UpstreamSockets.IdTable;
import org.safenet.dns.resolver.upstream.UpstreamSockets.Receiver;

class IdTableTest {
    private static Receiver receiver() {
        return new Receiver() {
            @Override
            public void received(ByteBuf answer) {}

            @Override
            public void socketFailed() {}
        };
    }

    @Test
    void randomPutsAndRemoves_agreeWithAHashMap() {
        IdTable table = new IdTable();
        Map<Integer, Receiver> reference = new HashMap<>();
        SplittableRandom random = new SplittableRandom(42);
        for (int op = 0; op < 200_000; op++) {
            // Few distinct IDs, so that probe runs collide and backward-shift deletion is exercised.
            int id = random.nextInt(3_000);
            if (reference.containsKey(id)) {
                Receiver other = receiver();
                table.remove(id, other); // a different receiver: nothing happens
                assertThat(table.get(id)).isSameAs(reference.get(id));
                table.remove(id, reference.remove(id));
            } else if (reference.size() < 2_000) {
                Receiver r = receiver();
                table.put(id, r);
                reference.put(id, r);
            }
            if (op % 1_000 == 0) {
                assertThat(table.size()).isEqualTo(reference.size());
                for (int probe = 0; probe < 3_000; probe++) {
                    assertThat(table.get(probe)).isSameAs(reference.get(probe));
                }
            }
        }
        assertThat(table.drain()).containsExactlyInAnyOrderElementsOf(reference.values());
        assertThat(table.isEmpty()).isTrue();
        assertThat(table.get(reference.keySet().iterator().next())).isNull();
    }
}
