package io.agnes.bqmc;

import io.agnes.bqmc.support.BuildInfo;
import picocli.CommandLine;

/** The version from the jar's manifest, for {@code --version}. */
public class Version implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {"bq-metadata-cache " + BuildInfo.version()};
    }
}
