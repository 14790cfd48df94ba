package io.supportlm.server.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a benchmark peer whose library is not part of the application: ONNX Runtime's jar (75 MB
 * of native libraries for every platform) is resolved at benchmark time rather than shaded into
 * the supportlm jar and image. The peer's own classes (compiled against that library) and the
 * library's classes are defined here, child first; everything else (the {@link ClassifierPeer}
 * interface, Javalin, Jackson, the tokenizer) comes from the application, so the peer and our
 * server share one tokenizer implementation and one HTTP stack.
 */
final class PeerClassLoader extends URLClassLoader {
    static {
        registerAsParallelCapable();
    }

    private final List<String> childFirst;

    PeerClassLoader(Path libraryJar, List<String> childFirstPackages, ClassLoader parent) {
        super("supportlm-bench-peer", new URL[] {url(libraryJar)}, parent);
        this.childFirst = childFirstPackages.stream().map(p -> p.endsWith(".") ? p : p + ".").toList();
    }

    private static URL url(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(jar + ": no such jar for the benchmark peer");
        }
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(jar + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (childFirst.stream().noneMatch(name::startsWith)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = defineHere(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    /** From the library jar, else the class file as the application has it (the peer's own classes). */
    private Class<?> defineHere(String name) throws ClassNotFoundException {
        try {
            return findClass(name);
        } catch (ClassNotFoundException notInJar) {
            String file = name.replace('.', '/') + ".class";
            try (InputStream in = getParent().getResourceAsStream(file)) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] bytes = in.readAllBytes();
                return defineClass(name, bytes, 0, bytes.length);
            } catch (IOException e) {
                throw new ClassNotFoundException(name + ": " + e.getMessage(), e);
            }
        }
    }
}
