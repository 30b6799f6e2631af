// Settings every AWS SDK client here shares. The SDK versions are pinned in package-lock.json:
// releases after early 2027 need Node 22, these do not, so their Node-version warning is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
