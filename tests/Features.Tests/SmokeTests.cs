namespace Mgmt.Features.Tests; public sealed class SmokeTests { [Fact] public void ProjectBuilds() => Assert.True(true); }
