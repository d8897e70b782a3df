package io.agnes.bqmc;

import picocli.CommandLine;

/** The version from the jar's manifest, for {@code --version}. */
public class Version implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {"bq-metadata-cache " + (v == null ? "(development build)" : v)};
    }
}
