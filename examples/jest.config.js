import { packageJestConfig } from '../tools/jest.preset.js';

export default packageJestConfig('<rootDir>/tsconfig.json');
