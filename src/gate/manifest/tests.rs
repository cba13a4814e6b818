use super::*;

/// Writes `text` as `name` in a fresh directory and reads its version: `Ok("2.4.1 at
/// NAME:LINE")` or the error's message without the directory.
fn version_of(name: &str, text: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join(name);
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let strip = |s: String| s.replace(&format!("{}/", dir.path().display()), "");
    read_version(&path)
        .map(|found| strip(format!("{} at {}", found.version, found.place)))
        .map_err(|e| strip(e.to_string()))
}

fn ok(found: &str) -> Result<String, String> {
    Ok(found.to_string())
}

#[test]
fn cargo_toml_package_workspace_and_inheritance() {
    let package = "[package]\nname = \"till\"\nversion = \"2.4.1\"\n\n[dependencies]\nserde = { version = \"1\" }\n";
    assert_eq!(
        version_of("Cargo.toml", package),
        ok("2.4.1 at Cargo.toml:3")
    );
    let root = "[workspace]\nmembers = [\"a\"]\n\n[workspace.package]\nversion = \"3.0.2\"\n";
    assert_eq!(version_of("Cargo.toml", root), ok("3.0.2 at Cargo.toml:5"));
    let both = "[package]\nname = \"x\"\nversion.workspace = true\n[workspace.package]\nversion = \"1.2.3\"\n";
    assert_eq!(version_of("Cargo.toml", both), ok("1.2.3 at Cargo.toml:5"));
    let member = "[package]\nname = \"x\"\nversion.workspace = true\n";
    let error = version_of("Cargo.toml", member).err().unwrap_or_default();
    assert!(
        error.starts_with("--version-from: Cargo.toml:3: the package inherits"),
        "{error}"
    );
    let none = "[dependencies]\nserde = \"1\"\n";
    assert_eq!(
        version_of("Cargo.toml", none),
        Err("--version-from: Cargo.toml: holds no version: neither [package] version nor [workspace.package] version".to_string())
    );
    let broken = "[package]\nname = \"x\"\nversion = 2.4.1\n";
    let error = version_of("Cargo.toml", broken).err().unwrap_or_default();
    assert!(
        error.starts_with("--version-from: Cargo.toml:3: not TOML"),
        "{error}"
    );
}

#[test]
fn package_json_top_level_version() {
    let text = "{\n  \"name\": \"till\",\n  \"version\": \"1.9.0\",\n  \"engines\": {\"node\": \">=18\"}\n}\n";
    assert_eq!(
        version_of("package.json", text),
        ok("1.9.0 at package.json:3")
    );
    let error = version_of("package.json", "{\"name\": \"x\"}")
        .err()
        .unwrap_or_default();
    assert_eq!(
        error,
        "--version-from: package.json: holds no top-level `version`"
    );
    let error = version_of("package.json", "{\n\"version\": \"1.0.0\",\n}")
        .err()
        .unwrap_or_default();
    assert!(
        error.starts_with("--version-from: package.json:3: not JSON"),
        "{error}"
    );
}

#[test]
fn pyproject_project_then_poetry() {
    let project = "[build-system]\nrequires = [\"hatchling\"]\n\n[project]\nname = \"till\"\nversion = \"0.7.3\"\n";
    assert_eq!(
        version_of("pyproject.toml", project),
        ok("0.7.3 at pyproject.toml:6")
    );
    let poetry = "[tool.poetry]\nname = \"till\"\nversion = \"5.1.0\"\n";
    assert_eq!(
        version_of("pyproject.toml", poetry),
        ok("5.1.0 at pyproject.toml:3")
    );
    let dynamic = "[project]\nname = \"till\"\ndynamic = [\"version\"]\n";
    let error = version_of("pyproject.toml", dynamic)
        .err()
        .unwrap_or_default();
    assert!(error.contains("[project] version is dynamic"), "{error}");
}

#[test]
fn msbuild_version_then_version_prefix() {
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net8.0</TargetFramework>\n    <VersionPrefix>4.2.0</VersionPrefix>\n    <Version>4.2.7</Version>\n  </PropertyGroup>\n</Project>\n";
    assert_eq!(
        version_of("Till.csproj", csproj),
        ok("4.2.7 at Till.csproj:5")
    );
    let prefix = "<Project>\n  <PropertyGroup>\n    <VersionPrefix>4.3.0</VersionPrefix>\n  </PropertyGroup>\n</Project>\n";
    assert_eq!(
        version_of("Till.csproj", prefix),
        ok("4.3.0 at Till.csproj:3")
    );
    let none = "<Project>\n  <ItemGroup><PackageReference Include=\"X\" Version=\"1.0.0\" /></ItemGroup>\n</Project>\n";
    let error = version_of("Till.csproj", none).err().unwrap_or_default();
    assert!(
        error.starts_with("--version-from: Till.csproj: sets no <Version>"),
        "{error}"
    );
    let broken = "<Project>\n  <PropertyGroup>\n</Project>\n";
    let error = version_of("Till.csproj", broken).err().unwrap_or_default();
    assert!(error.contains("not well-formed XML"), "{error}");
}

#[test]
fn pom_the_projects_own_version_only() {
    let pom = "<project>\n  <parent>\n    <groupId>com.acme</groupId>\n    <version>9.9.9</version>\n  </parent>\n  <artifactId>till</artifactId>\n  <version>2.8.0</version>\n  <dependencies><dependency><version>1.0.0</version></dependency></dependencies>\n</project>\n";
    assert_eq!(version_of("pom.xml", pom), ok("2.8.0 at pom.xml:7"));
    let inherited = "<project>\n  <parent>\n    <version>9.9.9</version>\n  </parent>\n  <dependencies><dependency><version>1.0.0</version></dependency></dependencies>\n</project>\n";
    let error = version_of("pom.xml", inherited).err().unwrap_or_default();
    assert!(
        error.starts_with(
            "--version-from: pom.xml:3: the project has no <version> of its own; it inherits 9.9.9"
        ),
        "{error}"
    );
    let snapshot = "<project>\n  <version>2.8.0-SNAPSHOT</version>\n</project>\n";
    let error = version_of("pom.xml", snapshot).err().unwrap_or_default();
    assert_eq!(
        error,
        "--version-from: pom.xml:2: `2.8.0-SNAPSHOT` is not a version Major.Minor.Build of three numbers (e.g. 2.4.0)"
    );
}

#[test]
fn gradle_groovy_and_kotlin() {
    let groovy = "plugins {\n  id 'java'\n}\ngroup 'com.acme'\nversion '6.0.1'\n";
    assert_eq!(
        version_of("build.gradle", groovy),
        ok("6.0.1 at build.gradle:5")
    );
    let kotlin = "plugins { java }\nversion = \"6.1.0\"\n";
    assert_eq!(
        version_of("build.gradle.kts", kotlin),
        ok("6.1.0 at build.gradle.kts:2")
    );
    let error = version_of("build.gradle.kts", "plugins { java }\n")
        .err()
        .unwrap_or_default();
    assert!(
        error.starts_with("--version-from: build.gradle.kts: sets no `version"),
        "{error}"
    );
}

#[test]
fn plain_version_files() {
    assert_eq!(
        version_of("VERSION", "\n2.4.0\n\n"),
        ok("2.4.0 at VERSION:2")
    );
    assert_eq!(
        version_of("version.txt", "v2.4.0"),
        ok("2.4.0 at version.txt:1")
    );
    let error = version_of("VERSION", "  \n").err().unwrap_or_default();
    assert_eq!(
        error,
        "--version-from: VERSION: is empty; it should hold the version, e.g. 2.4.0"
    );
    let error = version_of("VERSION", "2.4.0\n2.5.0\n")
        .err()
        .unwrap_or_default();
    assert!(
        error.starts_with("--version-from: VERSION:2: a VERSION file holds one line"),
        "{error}"
    );
    let error = version_of("VERSION", "2.4\n").err().unwrap_or_default();
    assert!(
        error.starts_with("--version-from: VERSION:1: `2.4` is not a version"),
        "{error}"
    );
}

#[test]
fn unknown_and_unreadable_files_are_named() {
    let error = version_of("setup.py", "version='1.0.0'")
        .err()
        .unwrap_or_default();
    assert!(
        error.starts_with("--version-from: setup.py: mpcert cannot tell"),
        "{error}"
    );
    let missing = read_version(Path::new("/nonexistent/Cargo.toml"));
    let error = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        error.starts_with("--version-from: cannot read /nonexistent/Cargo.toml"),
        "{error}"
    );
}
