package io.supportlm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.repository.internal.MavenRepositorySystemUtils;
import org.eclipse.aether.DefaultRepositorySystemSession;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.repository.LocalRepository;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactRequest;
import org.eclipse.aether.resolution.ArtifactResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;

/**
 * Resolves single artifacts the way Maven does, with Maven Resolver: from the local repository
 * Maven uses ({@code -Dmaven.repo.local}, else {@code ~/.m2/repository}) when present, otherwise
 * downloaded from Maven Central (or {@code SUPPORTLM_MAVEN_REPOSITORY}) into it, checksums verified.
 */
final class MavenArtifacts {
    private MavenArtifacts() {}

    static final String CENTRAL = "https://repo.maven.apache.org/maven2/";

    static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        return configured != null ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The file of {@code groupId:artifactId:version} (a jar), resolving it if needed. */
    static Path resolve(String coordinates) {
        Path local = localRepository();
        DefaultArtifact artifact = new DefaultArtifact(coordinates);
        Path cached = local.resolve(artifact.getGroupId().replace('.', '/')).resolve(artifact.getArtifactId())
                .resolve(artifact.getVersion()).resolve(artifact.getArtifactId() + "-" + artifact.getVersion() + "." + artifact.getExtension());
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        String remote = System.getenv().getOrDefault("SUPPORTLM_MAVEN_REPOSITORY", CENTRAL);
        RepositorySystem system = new RepositorySystemSupplier().get();
        try {
            DefaultRepositorySystemSession session = MavenRepositorySystemUtils.newSession();
            session.setLocalRepositoryManager(system.newLocalRepositoryManager(session, new LocalRepository(local.toFile())));
            session.setChecksumPolicy("fail");
            RemoteRepository central = new RemoteRepository.Builder("central", "default", remote).build();
            ArtifactRequest request = new ArtifactRequest(artifact, List.of(central), null);
            return system.resolveArtifact(session, request).getArtifact().getFile().toPath();
        } catch (ArtifactResolutionException e) {
            throw new IllegalStateException("could not resolve " + coordinates + " from " + remote + " into " + local
                    + ": " + e.getMessage(), e);
        } finally {
            system.shutdown();
        }
    }
}
