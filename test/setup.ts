// No test may reach real AWS: dummy credentials, and no instance-metadata probing.
process.env.AWS_ACCESS_KEY_ID = "AKIDTESTEXAMPLE"
process.env.AWS_SECRET_ACCESS_KEY = "test-secret-key-not-real"
process.env.AWS_EC2_METADATA_DISABLED = "true"
delete process.env.AWS_SESSION_TOKEN
delete process.env.AWS_PROFILE
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"
