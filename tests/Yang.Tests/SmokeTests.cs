namespace Mgmt.Yang.Tests; public sealed class SmokeTests { [Fact] public void ProjectBuilds() => Assert.True(true); }
