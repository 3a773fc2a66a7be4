import PackagePlugin

/// Embeds `Schemas/keeper.sql` and `Schemas/keeper-log.sql` into the target as
/// `EmbeddedSchemas.keeper` and `.keeperLog`: the files a person reads are the schemas the code
/// creates, with no second copy to drift.
@main
struct EmbedSchemasPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let schemas = context.package.directoryURL.appending(path: "Schemas")
        let inputs = ["keeper.sql", "keeper-log.sql"].map { schemas.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSchemas.swift")
        return [
            .buildCommand(
                displayName: "Embedding the keeper's SQL schemas",
                executable: try context.tool(named: "EmbedSchemas").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
