using System.Text.Json;

namespace FlowFunctions.Cli.Dev;

/// <summary>Finds the project whose package.json lists Azurite: the folder <c>flow dev</c> installs it into.</summary>
internal static class ProjectRoot
{
    /// <summary>The nearest folder at or above <paramref name="start"/> whose package.json lists <c>azurite</c>, or null.</summary>
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            if (ListsAzurite(Path.Combine(dir.FullName, "package.json")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static bool ListsAzurite(string packageJson)
    {
        if (!File.Exists(packageJson))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(packageJson));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var section in (string[])["devDependencies", "dependencies"])
            {
                if (document.RootElement.TryGetProperty(section, out var dependencies)
                    && dependencies.ValueKind == JsonValueKind.Object
                    && dependencies.TryGetProperty("azurite", out _))
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            // Someone else's unreadable package.json is not ours: keep looking further up.
        }

        return false;
    }
}
