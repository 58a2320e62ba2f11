export default {
  compilerOptions: {
    // Styles go to the bundled CSS file, never to inline <style> tags the CSP would block.
    css: "external",
  },
};
