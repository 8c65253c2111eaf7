package io.distkv.storage.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Releases a file mapping at once, through {@code sun.misc.Unsafe.invokeCleaner} where the JVM
 * offers it; otherwise the garbage collector releases it when the buffer becomes unreachable (a
 * deleted file's blocks then stay allocated until then). The caller must guarantee that nothing
 * touches the buffer afterwards: a read of an unmapped buffer crashes the JVM.
 */
public final class Mappings {
  private Mappings() {}

  private static final MethodHandle INVOKE_CLEANER = findCleaner();

  private static MethodHandle findCleaner() {
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      java.lang.reflect.Field f = unsafeClass.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      Object unsafe = f.get(null);
      return MethodHandles.lookup()
          .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
          .bindTo(unsafe);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // mappings are then released by the garbage collector
    }
  }

  public static void unmap(MappedByteBuffer buffer) {
    if (INVOKE_CLEANER == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
    } catch (Throwable t) {
      // not released now: the garbage collector will
    }
  }
}
